"""sRGB and linear light: the transfer functions behind gamma-correct averages.

numpy only. Averaging sRGB-encoded values darkens fine detail, because sRGB is not proportional
to light; :func:`poolcli.passes.pool_frame` decodes to light with these, averages, and encodes
back (and weights colour by alpha, so transparent pixels do not tint their neighbours).
"""

from __future__ import annotations

import functools

import numpy as np


@functools.cache
def _decode_table(maxval: int) -> np.ndarray:
    """sRGB code value -> linear light in [0, 1], for every code of an 8- or 16-bit image."""
    c = np.arange(maxval + 1, dtype=np.float64) / maxval
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def srgb_to_linear(values: np.ndarray) -> np.ndarray:
    """Decode 8- or 16-bit sRGB code values to linear light in [0, 1] (float64).

    >>> srgb_to_linear(np.array([0, 188, 255], np.uint8)).round(3)
    array([0.   , 0.503, 1.   ])
    """
    light: np.ndarray = _decode_table(int(np.iinfo(values.dtype).max))[values]
    return light


def linear_to_srgb(light: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Encode linear light in [0, 1] to the nearest sRGB code value of an integer ``dtype``.

    >>> linear_to_srgb(np.array([0.0, 0.5, 1.0]), np.dtype(np.uint8))
    array([  0, 188, 255], dtype=uint8)
    """
    light = np.clip(light, 0.0, 1.0)
    encoded = np.where(light <= 0.0031308, light * 12.92, 1.055 * light ** (1 / 2.4) - 0.055)
    return round_to(encoded * np.iinfo(dtype).max, dtype)


def round_to(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Nearest integer, halves up, clipped to ``dtype``."""
    info = np.iinfo(dtype)
    return np.clip(np.floor(values + 0.5), info.min, info.max).astype(dtype)
