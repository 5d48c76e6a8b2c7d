"""Shrink-on-load (``--draft``): libjpeg decodes a JPEG at 1/2, 1/4 or 1/8 of its size, in
place of the first 2x2 (or 4x4, 8x8) averages of a run, as ``vipsthumbnail`` does.

Stdlib only. libjpeg's scaled inverse DCT computes each pixel of a block at the smaller size
directly from the block's coefficients, and scales the chroma rather than upsampling it: the
numbers are close to the exact averages, not equal (``docs/huge.md`` has the measured
differences), so it is asked for, never the default. The passes it replaces are the first ones
whose windows tile the image (average, window equal to the stride, no padding, no dilation)
while their factors multiply to 2, 4 or 8, up to the first pass written; the passes after
run exactly on the decoded image. The tail a pass drops (a last row or column short of a
window) is dropped from the decoded image too, so every pass has its exact size.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from poolcli.spec.pool_spec import PoolSpec

if TYPE_CHECKING:
    from poolcli.core.geometry import PassGeometry

SCALES = (2, 4, 8)  # what libjpeg decodes at (1/2, 1/4, 1/8)


def why_no_draft(spec: PoolSpec, linear: bool) -> str | None:
    """Why ``--draft`` cannot apply to ``spec``'s passes (None: it can, on a JPEG).

    >>> why_no_draft(PoolSpec("avg", 2, None, "valid", 3), linear=False)
    >>> why_no_draft(PoolSpec("max", 2), linear=False)
    '--draft decodes averages (avg), not max'
    """
    if spec.mode != "avg":
        return f"--draft decodes averages (avg), not {spec.mode}"
    if linear:
        return "--draft averages the JPEG's values, not light: drop --linear"
    if spec.ignore is not None:
        return "--draft leaves no value out: drop --ignore"
    if spec.pools_frames:
        return "--draft decodes a still JPEG smaller: it does not pool frames (-k WxHxD)"
    return None


def drafted(plan: Sequence[PassGeometry], first_written: int) -> tuple[int, int]:
    """How many passes of ``plan`` the scaled decode replaces, and its scale (0, 1: none).

    >>> from poolcli.core.geometry import plan_for
    >>> plan = plan_for(PoolSpec("avg", 2, None, "valid", 4), (4000, 6000))
    >>> drafted(plan, 1), drafted(plan, 4)
    ((1, 2), (3, 8))
    """
    count, scale, factor = 0, 1, 1
    for geom in plan[:first_written]:
        rows, cols = geom.rows, geom.cols
        tiles = (
            not (geom.adaptive or geom.whole or geom.fractional)
            and rows.k == rows.s == cols.k == cols.s
            and rows.d == cols.d == 1
            and not (rows.before or cols.before or rows.after or cols.after)
        )
        if not tiles:
            break
        factor *= rows.k
        if factor in SCALES:
            count, scale = geom.index, factor
        elif factor > SCALES[-1]:
            break
    return count, scale
