"""What each pooling mode does to a window, resolved once from the mode's name.

numpy only. The kernels (:mod:`poolcli.core.kernels.bands`, :mod:`poolcli.core.kernels.per_window`)
take a :class:`Reducer` and branch on its ``kind``, never on the mode's name; a new mode is a row of
:data:`REDUCERS` plus whatever its kind needs in the kernels.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np

from poolcli.errors import ParameterError

if TYPE_CHECKING:
    from poolcli.spec.pool_spec import PoolSpec


@dataclass(frozen=True)
class Reducer:
    """How one mode reduces a window.

    Attributes
    ----------
    name : str
        The mode, as the API and the command line name it.
    kind : {"extreme", "mean", "sum", "power", "stochastic", "first"}
        ``extreme``: a running ``ufunc`` (np.maximum, np.minimum) from its identity; ``mean``: an
        exact sum divided by the cells counted; ``sum``: the exact sum, in a type that holds it
        (:func:`sum_dtype`); ``power``: Lp, ``(sum x**p) ** (1/p)``
        (:mod:`poolcli.core.kernels.lp`); ``stochastic``: a cell drawn with probability proportional
        to its value, or the test-phase weighted mean (:mod:`poolcli.core.kernels.stochastic`);
        ``fractional``: the max over windows placed at random
        (:mod:`poolcli.core.kernels.fractional`); ``first``: the first real cell; ``rank``: the
        median, or the most frequent pixel (:mod:`poolcli.core.kernels.rank`); ``blur``: a
        binomial blur sampled at the stride, after a max at stride 1 when ``ufunc`` is
        np.maximum (:mod:`poolcli.core.kernels.blur`).
    ufunc : numpy ufunc or None
        What combines two cells (np.add for sums and means).
    power : float
        Lp's ``p``.
    seed : int or None
        Stochastic pooling's seed (None: a fresh one each run).
    evaluate : bool
        Stochastic pooling's test phase: ``sum(x**2) / sum(x)`` instead of a draw.
    count_pad : bool
        Whether means divide by padded cells too.
    compat : str or None
        The framework whose rules apply (Lp follows PyTorch's scaling under "torch").
    samples : tuple of (float, float) or None
        Fractional pooling's samples, (width, height) per channel, as PyTorch's
        ``_random_samples``; None draws them from ``seed``.
    ignore : float or None
        The nodata value left out of every window (NaN: NaN cells); None leaves none out.
    blur : int
        The binomial blur's taps (blur kinds).
    reflect : bool
        Whether the blur mirrors the image at its edges instead of padding it with zeros.
    """

    name: str
    kind: Literal[
        "extreme", "mean", "sum", "power", "stochastic", "fractional", "first", "rank", "blur"
    ]
    ufunc: np.ufunc | None = None
    power: float = 2.0
    seed: int | None = None
    evaluate: bool = False
    count_pad: bool = False
    compat: str | None = None
    samples: tuple[tuple[float, float], ...] | None = None
    ignore: float | None = None
    blur: int = 3
    reflect: bool = False

    def identity(self, dtype: np.dtype) -> float:
        """The value that changes nothing: the lowest of ``dtype`` for max, the highest for
        min, 0 for a sum.

        >>> REDUCERS["max"].identity(np.dtype("uint8")), REDUCERS["min"].identity(np.dtype("f4"))
        (0, inf)
        """
        if self.kind != "extreme":
            return 0
        assert self.ufunc is not None
        upward = self.ufunc is np.maximum
        if dtype.kind == "f":
            return -np.inf if upward else np.inf
        info = np.iinfo(dtype)
        return int(info.min if upward else info.max)


REDUCERS: dict[str, Reducer] = {
    "max": Reducer("max", "extreme", np.maximum),
    "min": Reducer("min", "extreme", np.minimum),
    "avg": Reducer("avg", "mean", np.add),
    "stride": Reducer("stride", "first"),
    "sum": Reducer("sum", "sum", np.add),
    "lp": Reducer("lp", "power", np.add),
    "stochastic": Reducer("stochastic", "stochastic", np.add),
    "fractional": Reducer("fractional", "fractional", np.maximum),
    "median": Reducer("median", "rank"),
    "mode": Reducer("mode", "rank"),
    "blurpool": Reducer("blurpool", "blur"),
    "maxblurpool": Reducer("maxblurpool", "blur", np.maximum),
}


def reducer_for(spec: PoolSpec) -> Reducer:
    """The mode's row of :data:`REDUCERS` with the spec's own options filled in."""
    return replace(
        REDUCERS[spec.mode],
        power=spec.exponent,
        seed=spec.seed,
        evaluate=spec.evaluate,
        count_pad=spec.counts_padding,
        compat=spec.compat,
        ignore=spec.ignore,
        blur=spec.taps,
        reflect=spec.reflect,
    )


# The types poolcli pools, in 2-D (pool) and 3-D (pool3d).
DTYPES: tuple[np.dtype, ...] = tuple(
    np.dtype(t) for t in ("uint8", "uint16", "uint32", "int32", "int64", "float32", "float64")
)


def check_dtype(dtype: np.dtype, what: str) -> None:
    """Refuse an array of a type poolcli does not pool, naming the ones it does.

    >>> check_dtype(np.dtype("int8"), "image")
    Traceback (most recent call last):
    ...
    poolcli.errors.ParameterError: image dtype int8 is not supported; use one of uint8, uint16, \
uint32, int32, int64, float32, float64 (for example image.astype(np.float32))
    """
    if dtype not in DTYPES:
        names = ", ".join(str(d) for d in DTYPES)
        raise ParameterError(
            f"{what} dtype {dtype} is not supported; use one of {names} "
            f"(for example {what}.astype(np.float32))"
        )


def narrowest_integer(
    largest: float, *, signed: bool = False, at_least: int = 1
) -> np.dtype | None:
    """The narrowest integer type, signed or not, of at least ``at_least`` bytes, that holds
    ``largest``; None where 64 bits do not. The one place the kernels choose a width.

    >>> narrowest_integer(1020), narrowest_integer(1020, signed=True, at_least=4)
    (dtype('uint16'), dtype('int32'))
    >>> narrowest_integer(2.0**64) is None
    True
    """
    for size in (1, 2, 4, 8):
        wide = np.dtype(f"{'i' if signed else 'u'}{size}")
        if size >= at_least and largest <= np.iinfo(wide).max:
            return wide
    return None


def sum_dtype(dtype: np.dtype, cells: int) -> np.dtype:
    """The type :func:`~poolcli.core.pooling.pool` returns sums of ``cells`` values of ``dtype`` in.

    Floats keep their type. Unsigned integers give the narrowest of uint16, uint32 and uint64
    that a window of ``cells`` cannot overflow (uint8: uint16 up to 257 cells, uint32 up to
    16,843,009; uint16: uint32 up to 65,537), never narrower than the input; signed integers
    give int64. A sum too large even for 64 bits is refused.

    >>> sum_dtype(np.dtype("uint8"), 4), sum_dtype(np.dtype("uint8"), 300)
    (dtype('uint16'), dtype('uint32'))
    >>> sum_dtype(np.dtype("uint16"), 4), sum_dtype(np.dtype("uint16"), 10**6)
    (dtype('uint32'), dtype('uint64'))
    >>> sum_dtype(np.dtype("int32"), 4), sum_dtype(np.dtype("float32"), 4)
    (dtype('int64'), dtype('float32'))
    """
    if dtype.kind == "f":
        return dtype
    info = np.iinfo(dtype)
    largest = cells * max(abs(info.max), abs(info.min))
    # 16 bits where they hold the sums: half the memory of 32, and a quarter faster
    signed = info.min < 0
    wide = narrowest_integer(
        largest, signed=signed, at_least=8 if signed else max(2, dtype.itemsize)
    )
    if wide is None:
        from poolcli.errors import ParameterError

        raise ParameterError(f"a sum of {cells} {dtype} cells does not fit in 64 bits")
    return wide
