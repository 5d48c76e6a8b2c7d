"""Pooling a file's frames together (``-k WxHxD``, ``--to WxHxD``): which frames each output
frame pools, and every pass fed a frame at a time, each feeding the next as it pools, as a
file is decoded, so neither a stack nor a pass of it is ever held whole.

numpy only. A window of frames is pooled by the 3-D kernel
(:func:`poolcli.core.kernels.volume_cells.pool_channel`), or, for integer frames in max, min,
sum and avg, by reducing each frame's 2-D windows once with the 2-D kernels and folding the
reduction into every window of frames that reads it (:class:`_Folded`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol

import numpy as np

from poolcli.core.axes import Axis, adaptive_bounds
from poolcli.core.geometry import PassGeometry, PlanError, plan_for
from poolcli.core.kernels.dispatch import pool_planar
from poolcli.core.kernels.integer_means import accumulator, divide_rounded
from poolcli.core.kernels.volume_cells import pool_channels
from poolcli.core.reducers import REDUCERS, sum_dtype
from poolcli.core.volume_geometry import VolumeGeometry
from poolcli.errors import InputError
from poolcli.spec.pool_spec import PoolSpec
from poolcli.spec.values import wxh


def depth_windows(spec: PoolSpec, count: int) -> list[tuple[int, int]]:
    """Where each output frame's window of ``count`` frames starts and ends (exclusive): every
    ``depth_stride`` frames, ``depth`` long, inside the stack; or, for ``depth_to``, PyTorch's
    adaptive windows. None when not one fits.

    >>> depth_windows(PoolSpec("max", depth=3, depth_stride=2), 8)
    [(0, 3), (2, 5), (4, 7)]
    >>> depth_windows(PoolSpec("avg", output_size=(4, 4), depth_to=3), 7)
    [(0, 3), (2, 5), (4, 7)]
    """
    if spec.depth_to is not None:
        starts, ends = adaptive_bounds(count, spec.depth_to)
        return list(zip(starts.tolist(), ends.tolist(), strict=True))
    assert spec.across_frames is not None
    depth, stride = spec.across_frames
    return [(start, start + depth) for start in range(0, count - depth + 1, stride)]


def frames_after(count: int, spec: PoolSpec, plan: Sequence[PassGeometry]) -> list[int]:
    """The frames left after each pass of ``plan`` across ``count`` frames. With ``-n all``
    (``passes="all"``) the passes stop where the frames run out, as they stop where the pixels
    do: the list is then shorter than ``plan``.

    >>> spec = PoolSpec("max", depth=2, passes="all")
    >>> frames_after(7, spec, plan_for(spec, (64, 64)))  # six passes fit the pixels
    [3, 1]
    >>> spec = PoolSpec("max", depth=2, passes=3)
    >>> frames_after(7, spec, plan_for(spec, (64, 64)))
    Traceback (most recent call last):
    ...
    poolcli.core.geometry.PlanError: pass 3 needs at least 2 frames but gets 1; at most 2 passes fit

    Raises
    ------
    PlanError
        If a pass asked for has too few frames (``fits``: the passes before it), or not even
        the first has enough.
    """
    left: list[int] = []
    for index in range(len(plan)):
        windows = len(depth_windows(spec, count))
        if not windows and spec.passes == "all" and index > 0:
            break
        if not windows:
            assert spec.across_frames is not None  # pools to a count: always windows
            depth = spec.across_frames[0]
            raise PlanError(
                f"a depth of {depth} needs at least {depth} frames, but the image has {count}"
                if index == 0
                else f"pass {index + 1} needs at least {depth} frames but gets {count}; at "
                f"most {index} pass{'es' if index > 1 else ''} fit",
                plan[:index],
            )
        count = windows
        left.append(count)
    return left


def _way(
    spec: PoolSpec, geom: PassGeometry, dtype: np.dtype, windows: list[tuple[int, int]]
) -> _Folded | _Stacked:
    """How a pass's windows of frames are pooled: each frame folded into the windows that read
    it (:class:`_Folded`), or a window's frames stacked (:class:`_Stacked`)."""
    if holds_folded(spec, geom, integers=dtype.kind in "iu"):
        return _Folded(spec, geom, dtype, windows)
    return _Stacked(spec, geom, windows)


def most_open(windows: Sequence[tuple[int, int]]) -> int:
    """The most of ``windows`` that read one frame: what a folded pass holds at once.

    >>> most_open([(0, 3), (2, 5), (4, 7)]), most_open([(0, 40)]), most_open([])
    (2, 1, 0)
    """
    ends = sorted(end for _, end in windows)
    most, closed = 0, 0
    for opened, (start, _) in enumerate(sorted(windows), 1):
        while ends[closed] <= start:
            closed += 1
        most = max(most, opened - closed)
    return most


def holds_folded(spec: PoolSpec, geom: PassGeometry, integers: bool) -> bool:
    """Whether a pass of ``geom`` folds each frame into its windows as it comes (integer max,
    min, sum and avg), holding a total a window open rather than a window's frames."""
    plain = not (geom.whole or geom.fractional)
    return integers and spec.mode in _Folded.MODES and plain


class _Stacked:
    """Any mode: a window's frames held, then stacked and pooled by the 3-D kernel."""

    def __init__(self, spec: PoolSpec, geom: PassGeometry, windows: list[tuple[int, int]]) -> None:
        self.spec, self.geom, self.windows = spec, geom, windows
        self.held: deque[tuple[int, np.ndarray]] = deque()

    def add(self, index: int, frame: np.ndarray, first_open: int) -> None:
        self.held.append((index, frame))

    def pooled(self, window: int) -> np.ndarray:
        """Window ``window``'s output frame, once its last frame is in."""
        start, end = self.windows[window]
        frames = [f for i, f in self.held if start <= i < end]
        n, geom = len(frames), self.geom
        if geom.adaptive:  # windows of varying length: their bounds, the frames' one first
            (rows, cols) = geom.window_bounds()
            one = (np.zeros(1, np.int64), np.full(1, n, np.int64))
            across = VolumeGeometry(None, (one, rows, cols))
        else:
            across = VolumeGeometry((Axis(n, n, n, 0, 1), geom.rows, geom.cols))
        stack = np.stack(frames, axis=1)  # (C, n, H, W)
        return pool_channels(stack, self.spec, across)[:, 0]

    def forget(self, first: int) -> None:
        """Let go of the frames before ``first``, which no window to come reads."""
        while self.held and self.held[0][0] < first:
            self.held.popleft()

    @property
    def holding(self) -> int:
        return len(self.held)


class _Folded:
    """Integer frames in max, min, sum and avg: each frame's 2-D windows reduced once by the
    2-D kernels (banded, threaded), and folded at once into every window of frames that reads
    it. Integers compare and add exactly in any order, so this is the 3-D kernel's result,
    several times faster; a pass holds one reduced frame a window open, not a window's frames,
    so a projection of a whole stack (``--to WxHx1``) holds one frame, not the stack."""

    MODES = ("max", "min", "sum", "avg")

    def __init__(
        self, spec: PoolSpec, geom: PassGeometry, dtype: np.dtype, windows: list[tuple[int, int]]
    ) -> None:
        self.spec, self.geom, self.dtype, self.windows = spec, geom, dtype, windows
        longest = max((end - start for start, end in windows), default=1)
        self.counts = rows, cols = self._counts()
        cells = int(rows.max()) * int(cols.max()) * longest
        # windows of one cell (an adaptive pass to the frame's own size): the frame itself
        self.whole_cells = geom.adaptive and geom.output_shape == (geom.rows.n, geom.cols.n)
        if spec.mode == "avg":
            self.acc: np.dtype | None = accumulator(dtype, cells)
        elif spec.mode == "sum":
            self.acc = sum_dtype(dtype, cells)
        else:
            self.acc = None
        name = "sum" if self.acc is not None else spec.mode
        self.reducer = replace(REDUCERS[name], count_pad=spec.counts_padding)
        self.open: dict[int, np.ndarray] = {}  # by window: what its frames came to so far

    def _counts(self) -> tuple[np.ndarray, np.ndarray]:
        """The real cells (or, counting padding, all cells) of the 2-D windows, along the
        rows and along the columns: each window holds their product."""
        geom = self.geom
        if geom.adaptive:
            (r0, r1), (c0, c1) = geom.window_bounds()
            return r1 - r0, c1 - c0
        pad = self.spec.counts_padding
        return geom.rows.counts(pad), geom.cols.counts(pad)

    def add(self, index: int, frame: np.ndarray, first_open: int) -> None:
        """Fold frame ``index`` into the windows that read it, from window ``first_open``."""
        if self.whole_cells:
            reduced = frame if self.acc is None else frame.astype(self.acc)
        else:
            reduced = pool_planar(frame, self.reducer, self.geom, None, self.acc)
        spare = not np.may_share_memory(reduced, frame)  # a window may keep it as its total
        windows = self.windows
        for window in range(first_open, len(windows)):
            start, end = windows[window]
            if start > index:
                break
            if index >= end:
                continue
            total = self.open.get(window)
            if total is None:
                self.open[window] = reduced if spare else reduced.copy()
                spare = False  # later windows fold into their own copy
            elif self.acc is not None:
                total += reduced
            else:
                ufunc = np.maximum if self.spec.mode == "max" else np.minimum
                ufunc(total, reduced, out=total)

    def pooled(self, window: int) -> np.ndarray:
        total = self.open.pop(window)
        if self.spec.mode != "avg":
            return total
        start, end = self.windows[window]
        rows, cols = self.counts
        if rows.min() == rows.max() and cols.min() == cols.max():  # one count: no plane of them
            counts: np.ndarray | int = int(rows[0]) * int(cols[0]) * (end - start)
        else:
            counts = np.outer(rows, cols) * (end - start)
        out = np.empty(total.shape, self.dtype)
        divide_rounded(total, counts, out)
        return out

    def forget(self, first: int) -> None:
        pass  # a window's total goes as it is pooled

    @property
    def holding(self) -> int:
        return len(self.open)


class StackPass:
    """One pass of ``spec`` across frames, fed a frame at a time (a file as it is decoded, or
    the pass before as it pools), with ``windows`` of frames (:func:`depth_windows`) and the
    2-D windows of ``geom``: it holds only what a window still to come needs, and hands each
    frame it pools to ``emit``.

    >>> spec = PoolSpec("max", 2, depth=2, depth_stride=1)
    >>> pooled = []
    >>> (geom,) = plan_for(spec, (2, 2))
    >>> stack = StackPass(spec, "s.tif", pooled.append, geom, depth_windows(spec, 4))
    >>> for v in (1, 5, 2, 9):
    ...     stack(np.full((1, 2, 2), v, np.uint8))
    >>> [int(f[0, 0, 0]) for f in pooled], stack.most_held
    ([5, 5, 9], 2)
    """

    def __init__(
        self,
        spec: PoolSpec,
        name: str,
        emit: Callable[[np.ndarray], None],
        geom: PassGeometry,
        windows: list[tuple[int, int]],
    ) -> None:
        self.spec, self.name, self.emit, self.geom, self.windows = spec, name, emit, geom, windows
        self.seen = 0
        self.done = 0
        self.most_held = 0
        self.held_shape: tuple[int, ...] = ()
        self.way: _Folded | _Stacked | None = None

    def __call__(self, frame: np.ndarray) -> None:
        if self.way is None:
            self.way = _way(self.spec, self.geom, frame.dtype, self.windows)
        elif frame.shape != self.held_shape:
            raise InputError(
                f"{self.name}: its frames differ in size ({wxh(*self.held_shape[1:])} and "
                f"{wxh(*frame.shape[1:])}), so they cannot be pooled together"
            )
        self.held_shape = frame.shape
        index, self.seen = self.seen, self.seen + 1
        windows = self.windows
        if self.done == len(windows) or index < windows[self.done][0]:
            return  # in a gap between windows, or past the last
        self.way.add(index, frame, self.done)
        self.most_held = max(self.most_held, self.way.holding)
        while self.done < len(windows) and windows[self.done][1] == index + 1:
            self.emit(self.way.pooled(self.done))
            self.done += 1
            self.way.forget(windows[self.done][0] if self.done < len(windows) else self.seen)


class PooledFrames(Protocol):
    """What takes each pass's frames from a :class:`StackChain` as they are pooled."""

    def start(self) -> None: ...

    def __call__(self, index: int, frame: np.ndarray) -> None: ...


class StackChain:
    """Every pass of ``spec`` across frames, fed a frame at a time as a file is decoded: each
    pass's frames go on to the next pass as they are pooled, and to ``out(index, frame)``
    (index 0: the input's own, then pass 1's), so no pass's frames are held whole: each pass
    holds only the frames a window still to come reads. :meth:`expect` gives the frame count
    and the passes.

    >>> class Kept(dict):
    ...     def start(self): self.clear()
    ...     def __call__(self, index, frame): self.setdefault(index, []).append(int(frame.max()))
    >>> kept = Kept()
    >>> spec = PoolSpec("max", 1, depth=2, passes=2)
    >>> chain = StackChain(spec, "s.tif", kept)
    >>> chain.expect(5, plan_for(spec, (2, 2)))
    >>> chain.start()
    >>> for v in (1, 5, 2, 9, 4):
    ...     chain(np.full((1, 2, 2), v, np.uint8))
    >>> kept, chain.windows
    ({0: [1, 5, 2, 9, 4], 1: [5, 9], 2: [9]}, [[(0, 2), (2, 4)], [(0, 2)]])
    """

    def __init__(self, spec: PoolSpec, name: str, out: PooledFrames) -> None:
        self.spec, self.name, self.out = spec, name, out
        self.windows: list[list[tuple[int, int]]] = []  # each pass's
        self.passes: list[StackPass] = []
        self.plan: list[PassGeometry] = []

    def expect(self, count: int, plan: list[PassGeometry]) -> None:
        """``count`` frames, pooled by the passes of ``plan`` (the header's)."""
        counts = [count, *frames_after(count, self.spec, plan)]
        self.windows = [depth_windows(self.spec, n) for n in counts[:-1]]
        self.plan = plan

    def start(self) -> None:
        self.passes = []
        self.out.start()

    def __call__(self, frame: np.ndarray) -> None:
        if not self.windows:
            return  # told of no frames to pool (a run that writes no passes)
        self.out(0, frame)
        if not self.passes:
            plan, shape = self.plan, frame.shape[1:]
            if (plan[0].rows.n, plan[0].cols.n) != shape:  # not the header's size: planned again
                plan = plan_for(replace(self.spec, passes=len(plan)), shape)
            for index in range(len(self.windows), 0, -1):  # the last first: each feeds on
                self.passes.insert(0, self._pass(index, plan[index - 1]))
        self.passes[0](frame)

    def _pass(self, index: int, geom: PassGeometry) -> StackPass:
        following = self.passes[0] if self.passes else None

        def emit(frame: np.ndarray) -> None:
            self.out(index, frame)
            if following is not None:
                following(frame)

        return StackPass(self.spec, self.name, emit, geom, self.windows[index - 1])

    @property
    def most_held(self) -> list[int]:
        """The most frames each pass held at once."""
        return [stack.most_held for stack in self.passes]
