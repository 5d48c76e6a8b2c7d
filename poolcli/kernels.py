"""One pass of any mode over a planar image: which kernel runs each :class:`Reducer` kind.

numpy only. Max, min, means, sums and strides run in :mod:`poolcli.bands`; Lp in
:mod:`poolcli.powers`; stochastic pooling in :mod:`poolcli.stochastic`; fractional max pooling in
:mod:`poolcli.fractional`; the winning cells of max and min in :mod:`poolcli.winners`.
"""

from __future__ import annotations

import numpy as np

from .bands import pool_planar as _pool_basic
from .errors import ParameterError
from .geometry import PassGeometry
from .reducers import Reducer
from .spec import INDEXED_MODES

# The kernels of the rarer modes are imported by the passes that use them, which keeps them
# out of the start-up of every max or avg run.


def pool_planar(
    x: np.ndarray,
    reducer: Reducer,
    geom: PassGeometry,
    threads: int | None,
    dtype: np.dtype | None = None,
) -> np.ndarray:
    """One pass over planar ``x`` (C, H, W); a new planar array (``dtype``: sums' type)."""
    if geom.adaptive:
        from .adaptive import adaptive_pool

        return adaptive_pool(x, reducer, geom, dtype=dtype)[0]
    if reducer.kind == "power":
        from .powers import lp_pool

        return lp_pool(x, reducer, geom, threads)
    if reducer.kind == "stochastic":
        from .stochastic import stochastic_pool

        return stochastic_pool(x, reducer, geom, threads, indexed=False)[0]
    if reducer.kind == "fractional":
        from .fractional import fractional_pool

        return fractional_pool(x, reducer, geom, indexed=False)[0]
    if reducer.kind == "rank":
        from .rank import rank_pool

        return rank_pool(x, reducer, geom)
    return _pool_basic(x, reducer, geom, threads, dtype)


def pool_indexed(
    x: np.ndarray, reducer: Reducer, geom: PassGeometry, threads: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """One pass and the flat input index of the cell each output took (max, min, stochastic
    training)."""
    if reducer.name not in INDEXED_MODES or reducer.evaluate:
        raise ParameterError(
            "only max, min, fractional and stochastic (training) pooling take one cell per "
            "window, "
            f"so only they have indices; not {reducer.name}"
            + (" in evaluation mode" if reducer.evaluate else "")
        )
    from .fractional import fractional_pool
    from .stochastic import stochastic_pool
    from .winners import winner_indices

    if reducer.kind == "stochastic":
        values, indices = stochastic_pool(x, reducer, geom, threads)
        assert indices is not None
        return values, indices
    if reducer.kind == "fractional":
        values, indices = fractional_pool(x, reducer, geom)
        assert indices is not None
        return values, indices
    if geom.adaptive:
        from .adaptive import adaptive_pool

        values, indices = adaptive_pool(x, reducer, geom, indexed=True)
        assert indices is not None
        return values, indices
    values = _pool_basic(x, reducer, geom, threads)
    return values, winner_indices(x, values, reducer, geom, threads)
