"""How large sums and Lp norms grow, and which format holds them without loss.

Stdlib only: the names of a run's files are chosen from this before any pixel is pooled.
A sum of 8-bit pixels outgrows 8 bits at once (a 2x2 window: up to 1,020), so ``sum`` and ``lp``
write 16-bit PNG while the largest value a pass can reach fits in 16 bits, and TIFF (32-bit
integers for sums, 32-bit floats for Lp) beyond, unless the user names a format; then what it
cannot hold is clipped, with a warning that counts the pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from poolcli.core.geometry import PassGeometry
    from poolcli.spec.pool_spec import PoolSpec

# Modes whose values leave the range of the image's own type.
DEEP_MODES = frozenset({"sum", "lp"})

# The largest value of each Pillow mode poolimg pools (None: floats, unbounded).
_TOP: dict[str, float | None] = {"I;16": 65535.0, "I": 2.0**31 - 1, "F": None}


def largest_value(spec: PoolSpec, plan: Sequence[PassGeometry], index: int, mode: str) -> float:
    """The largest value pass ``index`` of a sum or Lp run can give on an image of ``mode``
    (inf for float images).

    >>> from poolcli.core.geometry import plan_for
    >>> from poolcli.spec.pool_spec import PoolSpec
    >>> spec = PoolSpec("sum", 2, passes=3)
    >>> [largest_value(spec, plan_for(spec, (8, 8)), i, "RGB") for i in (1, 2, 3)]
    [1020.0, 4080.0, 16320.0]
    """
    top = _TOP.get(mode, 255.0)
    if top is None:
        return float("inf")
    cells = 1
    for geom in plan[:index]:
        cells *= geom.window_cells
    return top * cells if spec.mode == "sum" else top * cells ** (1.0 / spec.exponent)


def deep_format(spec: PoolSpec, plan: Sequence[PassGeometry], index: int, mode: str) -> str:
    """The format a sum or Lp pass is written in when the user names none: PNG (16-bit)
    while its values fit, else TIFF; TIFF across frames (a 16-bit PNG holds one frame, a
    32-bit TIFF a page each)."""
    if spec.pools_frames:
        return "TIFF"
    fits = largest_value(spec, plan, index, mode) <= 65535 and mode not in ("CMYK", "I", "F")
    return "PNG" if fits else "TIFF"
