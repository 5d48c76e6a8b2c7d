"""The numbers of a pass, checked one at a time, and written as the command line writes them:
sizes and strides as ``(rows, cols)`` pairs, Lp's power, fractional pooling's ratio. Stdlib
only; :class:`~poolcli.spec.pool_spec.PoolSpec` checks its fields with them.
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Sequence

from poolcli.errors import ParameterError

# No image has a side this long (the pixel limit stops far sooner); a larger size or stride is
# a typo, refused at once rather than carried into arithmetic that would need to be wider.
LARGEST = 2**31 - 1


def size_text(value: object, *, short: bool = False) -> str:
    """A size or stride as the command line writes it, width first.

    >>> size_text(3), size_text(3, short=True), size_text((2, 3)), size_text((2, 2), short=True)
    ('3x3', '3', '3x2', '2')
    """
    if isinstance(value, int):
        value = (value, value)
    if isinstance(value, tuple):
        rows, cols = value
        return str(rows) if short and rows == cols else wxh(rows, cols)
    return str(value)


def wxh(rows: int, cols: int) -> str:
    return f"{cols}x{rows}"


def whole(value: object) -> int | None:
    """``value`` as an int if it is an int or a numpy integer (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        return None
    return operator.index(value)


def pair(value: object, name: str) -> tuple[int, int]:
    """A size or stride as ``(rows, cols)``, checked."""
    rows, cols = _sides(value, name, "a (rows, cols) pair")
    return rows, cols


def triple(value: object, name: str) -> tuple[int, int, int]:
    """A size, stride or dilation of a volume as ``(depth, rows, cols)``, checked.

    >>> triple(2, "size"), triple((1, 2, 3), "stride")
    ((2, 2, 2), (1, 2, 3))
    """
    depth, rows, cols = _sides(value, name, "a (depth, rows, cols) triple")
    return depth, rows, cols


def _sides(value: object, name: str, shape: str) -> list[int]:
    """One whole number a side, from 1 to :data:`LARGEST`: ``value`` for each, or a sequence
    of as many as ``shape`` (its words, as the message says them) has commas plus one."""
    count = shape.count(",") + 1
    single = whole(value)
    items = (
        [whole(v) for v in value]
        if isinstance(value, Sequence) and not isinstance(value, str)
        else []
    )
    if single is not None:
        sides = [single] * count
    elif len(items) == count and all(v is not None for v in items):
        sides = [v for v in items if v is not None]
    else:
        raise ParameterError(f"{name} must be an int or {shape} of ints, not {value!r}")
    if min(sides) < 1:
        raise ParameterError(f"{name} must be at least 1, not {value!r}")
    if max(sides) > LARGEST:
        raise ParameterError(f"{name} must be at most {LARGEST}, not {value!r}")
    return sides


def check_power(power: object) -> float:
    """The ``p`` of Lp pooling: a finite number above 0."""
    if isinstance(power, bool) or not isinstance(power, numbers.Real):
        raise ParameterError(f"power must be a number above 0, not {power!r}")
    value = float(power)
    if not (0 < value < float("inf")):
        raise ParameterError(f"power must be a finite number above 0, not {power!r}")
    return value


def check_ratio(ratio: object) -> tuple[float, float]:
    """Fractional pooling's ratio as ``(rows, cols)``, each from 0.5 up to (not with) 1, as in
    Graham's fractional max pooling (a pass shrinks by more than 1x, less than 2x)."""
    items = ratio if isinstance(ratio, Sequence) and not isinstance(ratio, str) else (ratio, ratio)
    if len(items) != 2 or any(
        isinstance(r, bool) or not isinstance(r, numbers.Real) or not 0.5 <= float(r) < 1
        for r in items
    ):
        raise ParameterError(
            f"ratio must be from 0.5 up to (not with) 1, or a pair of such, not {ratio!r}"
        )
    return (float(items[0]), float(items[1]))  # type: ignore[arg-type]
