"""sRGB and linear light: the transfer functions behind gamma-correct averages.

numpy only. Averaging sRGB-encoded values darkens fine detail, because sRGB is not proportional
to light; :func:`poolcli.core.passes.pool_frame` decodes to light with these, averages, and encodes
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
    table = _decode_table(int(np.iinfo(values.dtype).max))
    light: np.ndarray = np.take(table, values, mode="clip")  # faster than table[values]
    return light


def linear_to_srgb(light: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Encode linear light in [0, 1] to the nearest sRGB code value of an integer ``dtype``
    (halves up; NaN to 0).

    The code is found from the light values where the nearest code changes, looked up rather
    than computed with a power per pixel (several times faster): a fine grid of light values
    gives each value the code at its grid cell's start, and one comparison with the next
    boundary corrects it (cells are narrower than the gap between two boundaries).

    >>> linear_to_srgb(np.array([0.0, 0.5, 1.0]), np.dtype(np.uint8))
    array([  0, 188, 255], dtype=uint8)
    """
    top = int(np.iinfo(dtype).max)
    boundaries, start_codes = _encode_tables(top)
    cells = len(start_codes) - 1
    light = np.nan_to_num(np.clip(light, 0.0, 1.0), nan=0.0)
    grid = (light * cells).astype(np.intp)
    codes = np.take(start_codes, grid, mode="clip")
    codes += light >= np.take(boundaries, codes, mode="clip")
    return codes.astype(dtype)


@functools.cache
def _encode_tables(top: int) -> tuple[np.ndarray, np.ndarray]:
    """Where the nearest of ``top + 1`` sRGB codes changes (``boundaries[c]``: the least light
    whose nearest code is above c; inf for the last), and the code at the start of each cell of
    a grid on [0, 1] fine enough that a cell holds at most one boundary."""
    half = (np.arange(top + 1, dtype=np.float64) + 0.5) / top  # code c + 1/2, encoded
    boundaries = np.where(half <= 0.04045, half / 12.92, ((half + 0.055) / 1.055) ** 2.4)
    boundaries[-1] = np.inf
    # The narrowest gap is on the linear segment: 1 / (12.92 * top); cells a quarter of it.
    cells = 1 << int(np.ceil(np.log2(4 * 12.92 * top)))
    starts = np.arange(cells + 1, dtype=np.float64) / cells
    # uint16 holds every code: the table of a 16-bit image's 4M cells is 8 MB
    start_codes = np.searchsorted(boundaries, starts, side="right").astype(np.uint16)
    return boundaries, start_codes


def round_to(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Nearest integer, halves up, clipped to ``dtype``."""
    info = np.iinfo(dtype)
    return np.clip(np.floor(values + 0.5), info.min, info.max).astype(dtype)
