"""Averages that look right: premultiplied alpha and linear light around a pooling pass.

numpy only. A plain per-channel average darkens and tints the edge where an opaque subject
meets a transparent background (the invisible colour of transparent pixels bleeds in), and
averaging sRGB-encoded values darkens fine detail, because sRGB is not proportional to light.
:func:`pool_image` fixes both for ``avg``; ``max``, ``min`` and ``stride`` pool every channel,
alpha included, as they are.
"""

from __future__ import annotations

import functools

import numpy as np

from .pooling import pool
from .spec import Mode, Padding, Size


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
    return _round(encoded * np.iinfo(dtype).max, dtype)


def _round(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Nearest integer, halves up, clipped to ``dtype``."""
    info = np.iinfo(dtype)
    return np.clip(np.floor(values + 0.5), info.min, info.max).astype(dtype)


def pool_image(
    planar: np.ndarray,
    mode: Mode,
    size: Size = 2,
    stride: int | tuple[int, int] | None = None,
    padding: Padding = "valid",
    *,
    alpha: bool = False,
    linear: bool = False,
    threads: int | None = None,
) -> np.ndarray:
    """Pool a planar ``(C, H, W)`` image once; its last channel is alpha if ``alpha``.

    For ``avg`` of an 8- or 16-bit image with ``alpha`` or ``linear``: colour is weighted by
    alpha (premultiplied), averaged, and divided by the averaged alpha, so windows that are
    fully transparent stay transparent (colour 0) and partly transparent ones keep the colour
    of their opaque pixels; with ``linear`` the colour is averaged as light and re-encoded to
    sRGB. Alpha itself is the exact rounded mean. Anything else is :func:`poolcli.pool`.

    Examples
    --------
    A red opaque pixel beside transparent black: the average keeps pure red, half opaque.

    >>> rgba = np.array([[[255, 0]], [[0, 0]], [[0, 0]], [[255, 0]]], np.uint8)  # (4, 1, 2)
    >>> pool_image(rgba, "avg", size=(1, 2), alpha=True)[:, 0, 0]
    array([255,   0,   0, 128], dtype=uint8)
    """
    args = (size, stride, padding)
    if mode != "avg" or not (alpha or linear) or planar.dtype.kind != "u":
        return pool(planar, mode, *args, channel_axis=0, threads=threads)
    colour = planar[:-1] if alpha else planar
    values = srgb_to_linear(colour) if linear else colour.astype(np.float64)
    if not alpha:
        means = pool(values, "avg", *args, channel_axis=0, threads=threads)
        return linear_to_srgb(means, planar.dtype) if linear else _round(means, planar.dtype)
    maxval = np.iinfo(planar.dtype).max
    weight = planar[-1] / np.float64(maxval)
    values *= weight
    premultiplied = pool(values, "avg", *args, channel_axis=0, threads=threads)
    coverage = pool(weight, "avg", *args, threads=threads)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(coverage > 0, premultiplied / coverage, 0.0)
    out = np.empty((planar.shape[0], *means.shape[1:]), planar.dtype)
    out[:-1] = linear_to_srgb(means, planar.dtype) if linear else _round(means, planar.dtype)
    out[-1] = pool(planar[-1], "avg", *args, threads=threads)
    return out
