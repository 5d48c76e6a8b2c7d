"""Passes run on bands of rows: an image pooled as it is decoded, never held whole.

numpy only. Pooling is local: output row ``i`` of a pass reads only the input rows of its
windows, so a pass can take its input a band of rows at a time, keep the few rows its next
windows still need, and hand each band of finished output rows to the next pass and to the
writer. Every band is pooled by :func:`~poolcli.core.passes.pool_frame` on the geometry of its
own rows (:meth:`~poolcli.core.geometry.PassGeometry.band`), which has the same windows and the
same counts as the whole pass, so the result is the whole-image result, bit for bit.

Passes whose windows are not a function of their rows alone do not stream: fractional max
pooling (window starts drawn for the whole image), stochastic pooling (draws per block of the
whole image), one window over the image (``size="global"``, ``--to 1x1``), and the indices of
the kept pixels (``--unpool``): :func:`why_not` says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from poolcli.core.geometry import PassGeometry
from poolcli.core.passes import pool_frame, sum_type
from poolcli.core.reducers import Reducer, reducer_for
from poolcli.spec.pool_spec import PoolSpec


def why_not(spec: PoolSpec, plan: Sequence[PassGeometry]) -> str | None:
    """Why the passes of ``spec`` cannot run on bands of rows, or None when they can.

    >>> from poolcli.core.geometry import plan_for
    >>> why_not(PoolSpec("avg", 2, None, "valid", 3), plan_for(PoolSpec("avg", 2), (8, 8)))
    >>> why_not(PoolSpec("fractional", 2, ratio=0.5), [])
    'fractional pooling draws its windows for the whole image'
    """
    if spec.mode == "fractional":
        return "fractional pooling draws its windows for the whole image"
    if spec.mode == "stochastic":
        return "stochastic pooling draws its cells in blocks of the whole image"
    if spec.reflect:
        return "the blur's mirrored border reads the image's edge rows from the far side"
    if any(geom.whole for geom in plan):
        return "one window over the whole image needs the whole image"
    return None


class BandPass:
    """One pass fed its input a band of rows at a time, top to bottom.

    :meth:`feed` takes the next input rows and returns the output rows they complete (planar
    ``(C, rows, W)``, possibly none); :meth:`finish` the rest, once the input has ended. At most
    the rows the next windows need, plus one band, are held.
    """

    def __init__(
        self,
        geom: PassGeometry,
        reducer: Reducer,
        *,
        alpha: bool = False,
        linear: bool = False,
        threads: int | None = None,
        dtype: np.dtype | None = None,
    ) -> None:
        self.geom, self.reducer = geom, reducer
        self.alpha, self.linear, self.threads, self.dtype = alpha, linear, threads, dtype
        # The input rows first .. received; when none are held, first is the next row read.
        self.held: np.ndarray | None = None
        self.first = 0
        self.received = 0
        self.done = 0  # output rows handed on

    def feed(self, rows: np.ndarray) -> list[np.ndarray]:
        """Take the next input rows; return the output rows now complete."""
        start = self.received
        self.received += rows.shape[1]
        rows = rows[:, max(0, self.first - start) :]  # rows no window reads (stride > window)
        if rows.shape[1] == 0:
            return []
        self.held = rows if self.held is None else np.concatenate([self.held, rows], axis=1)
        ready = self._ready(self.received)
        return self._pool_to(ready)

    def finish(self) -> list[np.ndarray]:
        """The output rows left, once every input row has been fed."""
        if self.received != self.geom.rows.n:
            raise ValueError(
                f"pass {self.geom.index} was fed {self.received} rows of {self.geom.rows.n}"
            )
        return self._pool_to(self.geom.rows.out)

    def _ready(self, received: int) -> int:
        """How many output rows the first ``received`` input rows complete."""
        rows = self.geom.rows
        if received >= rows.n:
            return rows.out
        if self.geom.adaptive:
            return _adaptive_ready(rows.n, rows.out, received)
        # output i reads input rows up to i * s - before + extent (exclusive)
        return max(0, min(rows.out, (received + rows.before - rows.extent) // rows.s + 1))

    def _pool_to(self, ready: int) -> list[np.ndarray]:
        if ready <= self.done or self.held is None:
            return []
        lo, hi = self.done, ready
        band, r0, r1 = self.geom.band(lo, hi)
        rows = self.held[:, r0 - self.first : r1 - self.first]
        out = pool_frame(
            rows,
            self.reducer,
            band,
            alpha=self.alpha,
            linear=self.linear,
            threads=self.threads,
            dtype=self.dtype,
        )
        self.done = hi
        self._release()
        return [out]

    def _release(self) -> None:
        """Drop the held rows no output still to come reads."""
        assert self.held is not None
        if self.done >= self.geom.rows.out:
            self.held = None
            return
        _, keep, _ = self.geom.band(self.done, self.done + 1)
        if keep > self.first:
            held = self.held[:, keep - self.first :]
            self.held = held.copy() if held.shape[1] else None  # a view would keep them all
            self.first = keep


def _adaptive_ready(n: int, out: int, received: int) -> int:
    """Adaptive output rows complete with ``received`` of ``n`` rows: output ``i`` ends at
    ``ceil((i + 1) * n / out)``, so the count is the largest ``m`` with ``ceil(m n / out) <=
    received``, that is ``m * n <= received * out``."""
    return min(out, received * out // n)


def stream_passes(
    bands: Iterable[np.ndarray],
    spec: PoolSpec,
    plan: Sequence[PassGeometry],
    *,
    alpha: bool = False,
    linear: bool = False,
    threads: int | None = None,
) -> Iterator[tuple[int, np.ndarray]]:
    """Run every pass of ``plan`` on planar ``bands`` of rows (top to bottom, together the
    image), yielding ``(pass index, output rows)`` as they are complete: each pass's rows in
    order, the passes interleaved. Concatenated, a pass's rows are what
    :func:`~poolcli.core.passes.run_passes` gives for it.

    Examples
    --------
    >>> from poolcli.core.geometry import plan_for
    >>> spec = PoolSpec("avg", 2, None, "valid", 2)
    >>> image = np.arange(64, dtype=np.uint8).reshape(1, 8, 8)
    >>> plan = plan_for(spec, (8, 8))
    >>> out = {1: [], 2: []}
    >>> for index, rows in stream_passes([image[:, :3], image[:, 3:]], spec, plan):
    ...     out[index].append(rows)
    >>> np.concatenate(out[2], axis=1)[0]
    array([[14, 18],
           [46, 50]], dtype=uint8)
    """
    why = why_not(spec, plan)
    if why is not None:
        raise ValueError(f"cannot pool in bands: {why}")
    reducer = reducer_for(spec)
    chain: list[BandPass] | None = None
    for band in bands:
        if chain is None:  # sums of a run share one type, wide enough for the last pass
            dtype = sum_type(band.dtype, plan) if reducer.kind == "sum" else None
            chain = [
                BandPass(g, reducer, alpha=alpha, linear=linear, threads=threads, dtype=dtype)
                for g in plan
            ]
        yield from _through(chain, 0, [band])
    if chain is None:
        raise ValueError("no rows were given")
    for at, step in enumerate(chain):
        yield from _through(chain, at + 1, step.finish(), at)


def _through(
    chain: list[BandPass], at: int, rows: list[np.ndarray], made_by: int | None = None
) -> Iterator[tuple[int, np.ndarray]]:
    """Hand ``rows`` (the output of pass ``made_by``, or the input) to pass ``at`` and on."""
    for part in rows:
        if made_by is not None:
            yield chain[made_by].geom.index, part
        if at < len(chain):
            yield from _through(chain, at + 1, chain[at].feed(part), at)
