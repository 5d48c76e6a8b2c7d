"""Window placement along one axis of a pass: where each window starts, what it covers, and
the output sizes of every padding rule (PyTorch's, Keras's and Caffe's).

Pure arithmetic, no pixels; :mod:`poolcli.core.geometry` puts two axes together into a pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from poolcli.spec.pool_spec import Padding


@dataclass(frozen=True)
class Axis:
    """Window placement along one axis of one pass.

    Attributes
    ----------
    n : int
        Input cells.
    k, s : int
        Window size (cells) and stride.
    before : int
        Cells of padding before the first cell (windows start at ``i * s - before``).
    out : int
        Output cells (windows).
    d : int
        Dilation: the window's cells are ``d`` apart, so it spans ``d * (k - 1) + 1``.
    pad_end : int
        Padding declared after the last cell (``before`` for an int padding, the larger half
        for ``same``); what ``count_pad`` counts, as Caffe and PyTorch do, and no further.
    """

    n: int
    k: int
    s: int
    before: int
    out: int
    d: int = 1
    pad_end: int = 0

    @property
    def extent(self) -> int:
        return self.d * (self.k - 1) + 1

    @property
    def real(self) -> int:
        """The most real cells a window holds along this axis: ``k``, or ``n`` if fewer."""
        return min(self.k, self.n)

    @property
    def after(self) -> int:
        """Cells the last window overhangs past the end."""
        return max(self.last_end - self.n, 0)

    @property
    def dropped(self) -> int:
        """Cells at the end that no window covers (the tail ``valid`` padding drops)."""
        return max(self.n - self.last_end, 0)

    @property
    def last_end(self) -> int:
        return (self.out - 1) * self.s - self.before + self.extent

    @property
    def padded(self) -> bool:
        """Whether any window overhangs the input."""
        return self.before > 0 or self.after > 0

    def taps(self, lo: int, hi: int) -> list[tuple[slice, slice]]:
        """Pair each window offset with the outputs it reaches and the inputs they read.

        For output cells ``lo <= i < hi`` and each cell ``j`` of the window (at ``j * d``),
        returns ``(dst, src)``: ``dst`` selects (relative to ``lo``) the outputs whose cell
        ``j`` is a real input cell, ``src`` selects those input cells. Cells that reach no
        output are left out; the list is in window order.
        """
        result = []
        # Only the offsets that reach a real cell of some output in lo:hi: with padding a
        # window may be far wider than the image, and the loop must not grow with it.
        j_lo = max(0, -((self.before - (hi - 1) * self.s) // -self.d))
        j_hi = min(self.k, -((self.n + self.before - lo * self.s) // -self.d))
        for j in range(j_lo, j_hi):
            at = j * self.d
            first = max(lo, -((at - self.before) // self.s))  # ceil((before - at) / s)
            last = min(hi, (self.n - 1 + self.before - at) // self.s + 1)
            if last <= first:
                continue
            start = first * self.s - self.before + at
            stop = start + (last - first - 1) * self.s + 1
            result.append((slice(first - lo, last - lo), slice(start, stop, self.s)))
        return result

    def _cells_between(self, lo: int, hi: int) -> np.ndarray:
        """Cells of each window that fall in ``lo <= position < hi``."""
        starts = np.arange(self.out, dtype=np.int64) * self.s - self.before
        first = np.clip(-((lo - starts) // -self.d), 0, self.k)  # ceil((lo - start) / d)
        end = np.clip(-((hi - starts) // -self.d), 0, self.k)
        counts: np.ndarray = np.maximum(end - first, 0)
        return counts

    def counts(self, include_pad: bool = False) -> np.ndarray:
        """Cells of each window, as an int64 array of length ``out``: the real (not padded)
        ones, or with ``include_pad`` those inside the declared padding too."""
        if include_pad:
            return self._cells_between(-self.before, self.n + self.pad_end)
        return self._cells_between(0, self.n)

    def firsts(self) -> np.ndarray:
        """Index of the first real input cell of each window."""
        starts = np.arange(self.out, dtype=np.int64) * self.s - self.before
        firsts: np.ndarray = starts + np.maximum(-(starts // self.d), 0) * self.d
        return firsts


def part(axis: Axis, lo: int, hi: int) -> tuple[Axis, int, int]:
    """Outputs ``lo:hi`` of ``axis`` alone, on input cells ``i0:i1``."""
    start = lo * axis.s - axis.before
    end = (hi - 1) * axis.s - axis.before + axis.extent
    i0, i1 = max(start, 0), min(end, axis.n)
    pad_end = axis.pad_end if end >= axis.n else 0
    return Axis(i1 - i0, axis.k, axis.s, i0 - start, hi - lo, axis.d, pad_end), i0, i1


def place_axis(n: int, k: int, s: int, d: int, padding: Padding, caffe: bool) -> Axis | None:
    """Place windows along one axis, or return None when not even one window fits."""
    e = d * (k - 1) + 1
    pad_end = 0
    if padding == "valid" and not caffe:
        before, out = 0, (n - e) // s + 1 if n >= e else 0
    elif padding == "same":
        out = -(-n // s)
        total = max((out - 1) * s + e - n, 0)
        before, pad_end = total // 2, total - total // 2
    elif padding == "ceil":
        before, out = 0, -(-(n - e) // s) + 1
        if (out - 1) * s >= n:  # PyTorch: the last window must start inside the input
            out -= 1
    elif caffe:  # Caffe rounds up, then drops a last window that starts in the padding
        before = pad_end = 0 if padding == "valid" else int(padding)
        out = -(-(n + 2 * before - e) // s) + 1
        if out >= 1 and (out - 1) * s >= n + before:
            out -= 1
    else:
        before = pad_end = int(padding)
        out = (n + 2 * before - e) // s + 1 if n + 2 * before >= e else 0
    if out < 1:
        return None
    axis = Axis(n, k, s, before, out, d, pad_end)
    if (d > 1 or caffe) and not axis.counts().all():
        # A window of padding alone (dilated, or Caffe's last): PyTorch and Caffe give -inf or
        # -FLT_MAX there, which no image holds; refused instead.
        return None
    return axis


def blur_axis(n: int, m: int, taps: int, s: int, reflect: bool) -> Axis | None:
    """Place anti-aliased pooling along one axis: a max over ``m`` cells at stride 1 (1: none,
    blurpool), then a ``taps``-cell binomial blur sampled every ``s`` cells, padded
    ``(taps - 1) // 2`` before and ``taps // 2`` after (Kornia's and antialiased-cnns's
    amounts); None where not one output fits.

    Each output's window spans ``m + taps - 1`` input cells; its padding is the blur's, outside
    the ``n - m + 1`` cells the max leaves, so there are ``ceil((n - m + 1) / s)`` outputs.
    Mirrored padding (``reflect``) needs more of those cells than it mirrors, as PyTorch's
    ``ReflectionPad2d`` does.

    >>> blur_axis(5, 2, 3, 2, False)  # Kornia's max_blur_pool2d(x, 3) on 5 cells: 2 outputs
    Axis(n=5, k=4, s=2, before=1, out=2, d=1, pad_end=1)
    """
    inner = n - m + 1
    before, after = (taps - 1) // 2, taps // 2
    if inner < 1 or (reflect and inner <= after):
        return None
    return Axis(n, m + taps - 1, s, before, -(-inner // s), 1, after)


def adaptive_bounds(
    n: int, out: int, lo: int = 0, hi: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``out`` windows of an adaptive pass over ``n`` cells starts and ends
    (exclusive): ATen's ``[floor(i * n / out), ceil((i + 1) * n / out))``, in integers; with
    ``lo`` and ``hi``, those of windows ``lo:hi`` alone.

    >>> [b.tolist() for b in adaptive_bounds(14, 4)]
    [[0, 3, 7, 10], [4, 7, 11, 14]]
    >>> [b.tolist() for b in adaptive_bounds(2, 3)]  # more outputs than cells: cells repeat
    [[0, 0, 1], [1, 2, 2]]
    """
    i = np.arange(lo, out if hi is None else hi, dtype=np.int64)
    return (i * n) // out, -((-(i + 1) * n) // out)
