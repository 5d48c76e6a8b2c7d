"""Target sizes in the words users know from vipsthumbnail and ImageMagick (``--to``), and the
output size each gives an image. Stdlib only.

- ``512x``: 512 wide, the height keeping the aspect; ``x300``: 300 high;
- ``512x512``: fit inside 512x512, keeping the aspect;
- ``512x512!``: exactly 512x512;
- ``25%``: a quarter of each side;
- a trailing ``>``: only shrink (the default: pooling never enlarges without ``!``; with
  ``>`` an image already within the target is said to be kept at its own size).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from poolcli.errors import ParameterError

_WORDS = re.compile(
    r"(?:(?P<percent>\d+(?:\.\d+)?)%|(?P<width>\d+)?x(?P<height>\d+)?)(?P<flags>[!>]*)"
)


@dataclass(frozen=True)
class Target:
    """A target size: ``width`` and ``height`` in pixels (None: from the aspect), or
    ``percent`` of each side; ``exact`` (``!``) ignores the aspect and may enlarge;
    ``shrink_only`` (``>``) says so when an image is kept at its own size."""

    width: int | None = None
    height: int | None = None
    percent: float | None = None
    exact: bool = False
    shrink_only: bool = False

    @classmethod
    def parse(cls, text: str) -> Target:
        """The target ``text`` names.

        >>> Target.parse("512x"), Target.parse("512x512!").exact, Target.parse("25%").percent
        (Target(width=512, height=None, percent=None, exact=False, shrink_only=False), True, 25.0)

        Raises
        ------
        ParameterError
            If ``text`` is not a size poolimg knows, or a side is 0.
        """
        match = _WORDS.fullmatch(text.strip())
        if match is None or not (match["percent"] or match["width"] or match["height"]):
            raise ParameterError(
                f"--to {text!r}: give WIDTHx, xHEIGHT, WIDTHxHEIGHT (fit inside), "
                "WIDTHxHEIGHT! (exactly) or N% (each ending in > to only shrink)"
            )
        flags = match["flags"]
        width = int(match["width"]) if match["width"] else None
        height = int(match["height"]) if match["height"] else None
        percent = float(match["percent"]) if match["percent"] else None
        if 0 in (width, height) or percent == 0:
            raise ParameterError(f"--to {text!r}: a side of at least 1 pixel")
        if "!" in flags and (width is None or height is None):
            raise ParameterError(f"--to {text!r}: ! needs both sides (WIDTHxHEIGHT!)")
        return cls(width, height, percent, "!" in flags, ">" in flags)

    def text(self) -> str:
        """The words again, as the help and messages write them."""
        if self.percent is not None:
            size = f"{self.percent:g}%"
        else:
            size = f"{self.width or ''}x{self.height or ''}"
        return size + ("!" if self.exact else "") + (">" if self.shrink_only else "")

    def resolve(self, shape: tuple[int, int]) -> tuple[int, int]:
        """The (rows, cols) an image of ``shape`` is pooled to: never larger than it unless
        ``exact``, at least 1 a side.

        >>> Target.parse("512x").resolve((4000, 6000))
        (341, 512)
        >>> Target.parse("300x300").resolve((4000, 6000)), Target.parse("50%").resolve((5, 7))
        ((200, 300), (3, 4))
        >>> Target.parse("8000x").resolve((4000, 6000))  # pooling never enlarges
        (4000, 6000)
        """
        rows, cols = shape
        if self.exact:
            assert self.width is not None and self.height is not None
            return (self.height, self.width)
        if self.percent is not None:
            scale = self.percent / 100
        else:
            scales = []
            if self.width is not None:
                scales.append(self.width / cols)
            if self.height is not None:
                scales.append(self.height / rows)
            scale = min(scales)
        scale = min(scale, 1.0)
        return (max(1, math.floor(rows * scale + 0.5)), max(1, math.floor(cols * scale + 0.5)))


def window(i: int, n: int, out: int) -> tuple[int, int]:
    """Where output ``i`` of ``out`` reads along an axis of ``n`` cells: from
    ``floor(i * n / out)`` up to ``ceil((i + 1) * n / out)`` (exclusive), in exact integers
    (:func:`poolcli.core.kernels.adaptive.bounds` computes every window at once, by the same rule).

    >>> [window(i, 14, 4) for i in range(4)]
    [(0, 4), (3, 7), (7, 11), (10, 14)]
    """
    return (i * n) // out, -((-(i + 1) * n) // out)


def describe_windows(n: int, out: int, unit: str) -> str:
    """What the windows of an axis read, for ``plan``: their lengths, and whether neighbours
    share a cell (``windows of 6-7 columns``, ``... neighbours share a cell``).

    >>> describe_windows(14, 4, "column"), describe_windows(8, 4, "row")
    ('windows of 4 columns, neighbours sharing a cell', 'windows of 2 rows')
    """
    spans = [window(i, n, out) for i in range(out)]
    lengths = sorted({end - start for start, end in spans})
    shared = any(spans[i + 1][0] < spans[i][1] for i in range(out - 1))
    size = f"{lengths[0]}" if len(lengths) == 1 else f"{lengths[0]}-{lengths[-1]}"
    plural = "" if lengths == [1] else "s"
    return f"windows of {size} {unit}{plural}" + (", neighbours sharing a cell" if shared else "")


def output_size(value: object, shape: tuple[int, int]) -> tuple[int, int]:
    """The (rows, cols) of an adaptive pass to ``value`` (a :class:`Target`, or PyTorch's
    ``output_size``: an int for both sides, or (rows, cols) with None keeping a side) on an
    image of ``shape``."""
    if isinstance(value, Target):
        return value.resolve(shape)
    sides: list[int | None] = [value, value] if isinstance(value, int) else list(value)  # type: ignore[call-overload]
    return (
        shape[0] if sides[0] is None else sides[0],
        shape[1] if sides[1] is None else sides[1],
    )


def check_output_size(value: object) -> None:
    """Refuse an ``output_size`` that is not a :class:`Target`, an int of at least 1, or two
    such (or None) as (rows, cols).

    Raises
    ------
    ParameterError
        Saying what is wrong.
    """
    if isinstance(value, Target):
        return
    sides = [value, value] if not isinstance(value, tuple | list) else list(value)
    if len(sides) != 2 or not all(
        side is None or (isinstance(side, int) and not isinstance(side, bool) and side >= 1)
        for side in sides
    ):
        raise ParameterError(
            f"output_size must be an int of at least 1, or (rows, cols) of such ints or None, "
            f"not {value!r}"
        )
