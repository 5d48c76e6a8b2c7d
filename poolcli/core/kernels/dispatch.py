"""One pass of any mode over a planar image: which kernel runs each :class:`Reducer` kind.

numpy only. Max, min, means, sums and strides run in :mod:`poolcli.core.kernels.bands`; Lp in
:mod:`poolcli.core.kernels.lp`; stochastic pooling in :mod:`poolcli.core.kernels.stochastic`;
fractional max pooling in :mod:`poolcli.core.kernels.fractional`; blurpool and maxblurpool in
:mod:`poolcli.core.kernels.blur`; the winning cells of max and min
in :mod:`poolcli.core.kernels.winners`.
"""

from __future__ import annotations

import numpy as np

from poolcli.core.geometry import PassGeometry
from poolcli.core.kernels.bands import pool_planar as _pool_basic
from poolcli.core.reducers import Reducer
from poolcli.errors import ParameterError
from poolcli.spec.pool_spec import INDEXED_MODES

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
    if reducer.ignore is not None and reducer.kind != "rank":  # rank leaves them out itself
        from poolcli.core.kernels.nodata import pool_ignoring

        return pool_ignoring(x, reducer, geom, threads, dtype, pool_planar)
    if geom.adaptive and reducer.kind != "rank":
        from poolcli.core.kernels.adaptive import adaptive_pool

        return adaptive_pool(x, reducer, geom, dtype=dtype)[0]
    if reducer.kind == "power":
        from poolcli.core.kernels.lp import lp_pool

        return lp_pool(x, reducer, geom, threads)
    if reducer.kind == "stochastic":
        from poolcli.core.kernels.stochastic import stochastic_pool

        return stochastic_pool(x, reducer, geom, threads, indexed=False)[0]
    if reducer.kind == "fractional":
        from poolcli.core.kernels.fractional import fractional_pool

        return fractional_pool(x, reducer, geom, indexed=False)[0]
    if reducer.kind == "rank":
        from poolcli.core.kernels.rank import rank_pool

        return rank_pool(x, reducer, geom)
    if reducer.kind == "blur":
        from poolcli.core.kernels.blur import blur_pool

        return blur_pool(x, reducer, geom, threads)
    return _pool_basic(x, reducer, geom, threads, dtype)


def pool_indexed(
    x: np.ndarray, reducer: Reducer, geom: PassGeometry, threads: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """One pass and the flat input index of the cell each output took (max, min, stochastic
    training)."""
    if reducer.ignore is not None:
        raise ParameterError(
            "indices (return_indices, --unpool, --winners) do not go with ignore: a window "
            "of ignored cells alone has no cell to point at"
        )
    if reducer.name not in INDEXED_MODES or reducer.evaluate:
        raise ParameterError(
            "only max, min, fractional and stochastic (training) pooling take one cell per "
            "window, "
            f"so only they have indices; not {reducer.name}"
            + (" in evaluation mode" if reducer.evaluate else "")
        )
    from poolcli.core.kernels.fractional import fractional_pool
    from poolcli.core.kernels.stochastic import stochastic_pool
    from poolcli.core.kernels.winners import winner_indices

    if reducer.kind == "stochastic":
        values, indices = stochastic_pool(x, reducer, geom, threads)
        assert indices is not None
        return values, indices
    if reducer.kind == "fractional":
        values, indices = fractional_pool(x, reducer, geom)
        assert indices is not None
        return values, indices
    if geom.adaptive:
        from poolcli.core.kernels.adaptive import adaptive_pool

        values, indices = adaptive_pool(x, reducer, geom, indexed=True)
        assert indices is not None
        return values, indices
    values = _pool_basic(x, reducer, geom, threads)
    return values, winner_indices(x, values, reducer, geom, threads)
