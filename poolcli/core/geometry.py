"""Where the windows of a pooling pass fall: output sizes, padding, and plans of several passes.

Pure arithmetic, no pixels. Per axis (``n`` input cells, window ``k``, stride ``s``; placed by
:mod:`poolcli.core.axes`) the output sizes and padding follow PyTorch, Keras and Caffe exactly; see
:func:`output_shape`. Sizes in messages
are written ``WxH`` (width first), as image tools write them; sizes in the API are
``(rows, cols)``, as numpy writes them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from poolcli.core.axes import Axis, adaptive_bounds, blur_axis, part, place_axis
from poolcli.errors import ParameterError
from poolcli.spec.pool_spec import BLUR_MODES, Padding, PoolSpec, Size
from poolcli.spec.sizes import output_size
from poolcli.spec.values import wxh


class PlanError(ParameterError):
    """A run whose passes do not all fit; ``fits`` holds the passes that do, in order."""

    def __init__(self, message: str, fits: Sequence[PassGeometry]) -> None:
        super().__init__(message)
        self.fits = list(fits)


@dataclass(frozen=True)
class PassGeometry:
    """Where the windows of one pass fall: ``rows`` and ``cols`` are the :class:`Axis` of each.

    ``whole`` marks ``size="global"``: one window over the image, whose float average is accumulated
    in float64 (the error of ``np.mean``), not in PyTorch's running float32 sum. ``fractional``
    marks fractional max pooling, whose windows start at random places drawn per channel
    (:mod:`poolcli.core.kernels.fractional`), and ``adaptive`` a pass to an output size, whose
    windows vary in length (:mod:`poolcli.core.kernels.adaptive`): their axes give the sizes (and
    ``k`` the longest window) alone.
    """

    index: int
    rows: Axis
    cols: Axis
    whole: bool = False
    fractional: bool = False
    adaptive: bool = False
    # A band of an adaptive pass: (rows of the whole pass's input, its output rows, the band's
    # first output row), which place the band's windows where the whole pass has them.
    adaptive_band: tuple[int, int, int] | None = None

    @property
    def output_shape(self) -> tuple[int, int]:
        return (self.rows.out, self.cols.out)

    @property
    def window_cells(self) -> int:
        """The most real cells one window holds (however wide its padding makes it)."""
        return self.rows.real * self.cols.real

    def band(self, lo: int, hi: int) -> tuple[PassGeometry, int, int]:
        """The geometry of output rows ``lo:hi`` alone, on input rows ``r0:r1``: a band of a
        pass that can be pooled by itself, with the same windows and the same counts.

        >>> g = checked_geometry((10, 4), 3, 2, 1)  # 5 output rows, padding 1
        >>> band, r0, r1 = g.band(1, 3)
        >>> (r0, r1), band.rows.before, band.output_shape
        ((1, 6), 0, (2, 2))
        """
        if self.adaptive:
            n, out, first = self.adaptive_band or (self.rows.n, self.rows.out, 0)
            starts, ends = adaptive_bounds(n, out, first + lo, first + hi)
            base = int(starts[0]) - (int(adaptive_bounds(n, out, first, first + 1)[0][0]))
            r0, r1 = base, base + int(ends[-1] - starts[0])
            axis = Axis(r1 - r0, self.rows.k, 1, 0, hi - lo)
            return replace(self, rows=axis, adaptive_band=(n, out, first + lo)), r0, r1
        axis, r0, r1 = part(self.rows, lo, hi)
        return PassGeometry(self.index, axis, self.cols, self.whole, self.fractional), r0, r1

    def window_bounds(self) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """An adaptive pass's windows: where each starts and ends (exclusive) along the rows,
        then the columns, relative to its first input row and column."""
        cols = adaptive_bounds(self.cols.n, self.cols.out)
        if self.adaptive_band is None:
            return adaptive_bounds(self.rows.n, self.rows.out), cols
        n, out, lo = self.adaptive_band
        starts, ends = adaptive_bounds(n, out, lo, lo + self.rows.out)
        return (starts - starts[0], ends - starts[0]), cols

    def column_band(self, lo: int, hi: int) -> tuple[PassGeometry, int, int]:
        """As :meth:`band`, for output columns ``lo:hi`` on input columns ``c0:c1``."""
        axis, c0, c1 = part(self.cols, lo, hi)
        return PassGeometry(self.index, self.rows, axis, self.whole, self.fractional), c0, c1

    def cells(self, lo: int, hi: int) -> list[tuple[slice, slice, slice, slice, int, int]]:
        """Every cell of the windows of output rows ``lo:hi``, in window order (row by row).

        Each is ``(dst_rows, dst_cols, src_rows, src_cols, dr, dc)``: the outputs (rows relative
        to ``lo``) whose window has this cell inside the image, the input cells they read, and
        the cell's offset from its window's top-left corner.
        """
        rows, cols = self.rows, self.cols
        ctaps = [
            (cd, cs, cs.start - cd.start * cols.s + cols.before)
            for cd, cs in cols.taps(0, cols.out)
        ]
        result: list[tuple[slice, slice, slice, slice, int, int]] = []
        for rd, rs in rows.taps(lo, hi):
            dr = rs.start - (lo + rd.start) * rows.s + rows.before
            result.extend((rd, cd, rs, cs, dr, dc) for cd, cs, dc in ctaps)
        return result


def place(shape: tuple[int, int], spec: PoolSpec, index: int = 1) -> PassGeometry | None:
    """Where the windows of pass ``index`` of a (valid) ``spec`` fall on an image of
    ``shape``, or None when not even one window fits."""
    rows, cols = shape
    if spec.output_size is not None:
        out_r, out_c = output_size(spec.output_size, shape)
        if (out_r, out_c) == (1, 1):  # one window over the image, as size="global"
            return PassGeometry(
                index, Axis(rows, rows, rows, 0, 1), Axis(cols, cols, cols, 0, 1), True
            )
        longest_r, longest_c = -(-rows // out_r) + 1, -(-cols // out_c) + 1
        return PassGeometry(
            index,
            Axis(rows, min(longest_r, rows), 1, 0, out_r),
            Axis(cols, min(longest_c, cols), 1, 0, out_c),
            adaptive=True,
        )
    if spec.size == "global":
        rows_axis, cols_axis = Axis(rows, rows, rows, 0, 1), Axis(cols, cols, cols, 0, 1)
        return PassGeometry(index, rows_axis, cols_axis, whole=True)
    if spec.mode == "fractional":  # PyTorch: int(n * ratio) windows, all inside the image
        (kr, kc), (rr, rc) = spec.window, spec.ratios
        out_r, out_c = int(rows * rr), int(cols * rc)
        if not (out_r >= 1 and out_r + kr - 1 <= rows and out_c >= 1 and out_c + kc - 1 <= cols):
            return None
        frows, fcols = Axis(rows, kr, 1, 0, out_r), Axis(cols, kc, 1, 0, out_c)
        return PassGeometry(index, frows, fcols, fractional=True)
    (kr, kc), (sr, sc) = spec.window, spec.step
    if spec.mode in BLUR_MODES:
        if spec.mode == "blurpool":  # no max: the blur alone, sampled every stride
            kr = kc = 1
        rb = blur_axis(rows, kr, spec.taps, sr, spec.reflect)
        cb = blur_axis(cols, kc, spec.taps, sc, spec.reflect)
        return None if rb is None or cb is None else PassGeometry(index, rb, cb)
    (dr, dc), caffe = spec.spacing, spec.compat == "caffe"
    ra = place_axis(rows, kr, sr, dr, spec.padding, caffe)
    ca = place_axis(cols, kc, sc, dc, spec.padding, caffe)
    if ra is None or ca is None:
        return None
    return PassGeometry(index, ra, ca)


def _min_cells(k: int, s: int, padding: Padding, caffe: bool) -> int:
    """The fewest input cells along an axis on which ``place_axis`` places at least one window
    (``k`` the window's extent; a dilated window that would hold only padding aside)."""
    if padding == "valid" and not caffe:
        return k
    if padding == "same":
        return 1
    if padding == "ceil":  # ceil((n - k) / s) >= 0
        return max(1, k - s + 1)
    pad = 0 if padding == "valid" else int(padding)
    if caffe:  # ceil((n + 2p - k) / s) >= 0
        return max(1, k - 2 * pad - s + 1)
    return max(1, k - 2 * pad)


def _min_input(spec: PoolSpec) -> tuple[int, int]:
    """The smallest (rows, cols) on which one pass of ``spec`` can run."""
    if spec.size == "global":
        return (1, 1)
    if spec.mode == "fractional":  # int(n * r) + k - 1 <= n, int(n * r) >= 1
        return tuple(  # type: ignore[return-value]
            max(k, math.ceil(1 / r)) for k, r in zip(spec.window, spec.ratios, strict=True)
        )
    if spec.mode in BLUR_MODES:  # the max's window, and more than the mirrored cells
        mirrored = spec.taps // 2 if spec.reflect else 0
        if spec.mode == "blurpool":
            return (1 + mirrored, 1 + mirrored)
        return (spec.window[0] + mirrored, spec.window[1] + mirrored)
    (er, ec), (sr, sc), caffe = spec.extent, spec.step, spec.compat == "caffe"
    return (_min_cells(er, sr, spec.padding, caffe), _min_cells(ec, sc, spec.padding, caffe))


def output_shape(
    shape: Sequence[int],
    size: Size = 2,
    stride: int | tuple[int, int] | None = None,
    padding: Padding = "valid",
) -> tuple[int, int]:
    """Return the ``(rows, cols)`` one pooling pass makes of an image of ``shape``.

    Parameters
    ----------
    shape : sequence of int
        ``(rows, cols)`` of the input; further entries (channels) are ignored.
    size : int, (int, int) or "global"
        Window size, ``(rows, cols)``; "global" is one window over the whole image.
    stride : int, (int, int) or None
        Step between windows; None means equal to ``size``.
    padding : {"valid", "same", "ceil"} or int
        ``valid``: windows inside the image only, ``floor((n - k) / s) + 1``; ``same``
        (Keras/TensorFlow): ``ceil(n / s)``; ``ceil`` (PyTorch ``ceil_mode=True``):
        ``ceil((n - k) / s) + 1``, less one if the last window would start past the end;
        int ``p`` (PyTorch ``padding=p``, ``0 <= p < k``): ``floor((n + 2p - k) / s) + 1``.

    Raises
    ------
    ParameterError
        If a parameter is invalid or the image is smaller than one window.

    Examples
    --------
    >>> output_shape((4000, 6000), size=2)
    (2000, 3000)
    >>> output_shape((5, 5), size=2, padding="valid"), output_shape((5, 5), size=2, padding="ceil")
    ((2, 2), (3, 3))
    >>> output_shape((7, 7), size=3, stride=2, padding="same")
    (4, 4)
    """
    return checked_geometry((int(shape[0]), int(shape[1])), size, stride, padding).output_shape


def checked_geometry(
    shape: tuple[int, int], size: Size, stride: object, padding: object
) -> PassGeometry:
    """The geometry of one pass, or a ParameterError saying what is wrong or why the image is
    too small."""
    return first_pass(PoolSpec("max", size, stride, padding), shape)  # type: ignore[arg-type]


def first_pass(spec: PoolSpec, shape: tuple[int, int]) -> PassGeometry:
    """The geometry of one pass of a (valid) ``spec``, or a ParameterError saying why the
    image is too small."""
    geom = place(shape, spec)
    if geom is None and spec.mode == "fractional":
        raise ParameterError(
            f"fractional pooling of size {wxh(*spec.window)} at ratio {spec.ratios} needs "
            f"int(side * ratio) windows, at least 1, fitting the image: not so on "
            f"{wxh(shape[0], shape[1])}"
        )
    least = _min_input(spec)
    if geom is None and shape[0] >= least[0] and shape[1] >= least[1]:
        raise ParameterError(
            f"with dilation {wxh(*spec.spacing)} and padding {spec.padding!r}, a window of "
            f"size {wxh(*spec.window)} would hold only padding on a {wxh(*shape)} image; "
            "use less padding or a smaller stride"
        )
    if geom is None:
        raise ParameterError(
            f"size {wxh(*spec.window)} needs at least {wxh(*_min_input(spec))} pixels "
            f"with padding {spec.padding!r}, but the image is {wxh(shape[0], shape[1])}"
        )
    return geom


def plan_passes(
    shape: Sequence[int],
    passes: int | Literal["all"] = 1,
    size: Size = 2,
    stride: int | tuple[int, int] | None = None,
    padding: Padding = "valid",
) -> list[PassGeometry]:
    """Work out every pass of a run before doing any, so a bad plan fails before any work.

    ``passes="all"`` runs as many passes as fit, stopping before a pass that would fail or
    leave the image no smaller.

    Raises
    ------
    ParameterError
        If a parameter is invalid.
    PlanError
        If a pass would get an image smaller than its window; the message names the pass and
        says how many fit, and ``fits`` holds them.

    Examples
    --------
    >>> [g.output_shape for g in plan_passes((8, 12), passes="all")]
    [(4, 6), (2, 3), (1, 1)]
    >>> plan_passes((4, 4), passes=3)
    Traceback (most recent call last):
    ...
    poolcli.core.geometry.PlanError: pass 3 needs at least 2x2 pixels but gets 1x1; ...
    """
    return plan_for(PoolSpec("max", size, stride, padding, passes), shape)


def plan_for(spec: PoolSpec, shape: Sequence[int]) -> list[PassGeometry]:
    """Every pass of a (valid) ``spec`` on an image of ``shape``; see :func:`plan_passes`."""
    current = (int(shape[0]), int(shape[1]))
    if min(current) < 1:
        raise ParameterError(f"the image is empty ({wxh(*current)} pixels)")
    plan: list[PassGeometry] = []
    limit = math.inf if spec.passes == "all" else spec.passes
    while len(plan) < limit:
        if spec.fit is not None and max(current) <= spec.fit:
            return plan  # within the size: no pass needed (none at all, if it came so)
        geom = place(current, spec, index=len(plan) + 1)
        if spec.passes == "all" and geom is not None and geom.output_shape == current and not plan:
            raise PlanError(
                f"-n all runs passes while each shrinks the image, but a pass of size "
                f"{wxh(*spec.window)}, stride {wxh(*spec.step)} and padding {spec.padding} "
                f"keeps it {wxh(*current)}: give a number of passes (-n 1)"
                + (", or a count of frames to pool to (--to WxHxD)" if spec.pools_frames else ""),
                plan,
            )
        if spec.passes == "all" and (geom is None or geom.output_shape == current):
            break
        if geom is None:
            count = len(plan)
            fit = f"at most {count} pass{'es' if count > 1 else ''} fit" if plan else "no pass fits"
            raise PlanError(
                f"pass {count + 1} needs at least {wxh(*_min_input(spec))} pixels but gets "
                f"{wxh(*current)}; {fit}",
                plan,
            )
        plan.append(geom)
        current = geom.output_shape
    if not plan:
        raise PlanError(
            f"not even one pass fits: size {wxh(*spec.window)} needs at least "
            f"{wxh(*_min_input(spec))} pixels, the image is {wxh(*current)}",
            plan,
        )
    return plan
