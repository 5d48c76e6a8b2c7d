"""The inner loops of pooling, one module per way of computing a window.

``dispatch`` picks the kernel for a :class:`~poolcli.core.reducers.Reducer`; ``bands`` runs
planar arrays in cache-sized bands; ``stride2`` the packed 2x2 and 3x3 stride-2 sums of 8- and
16-bit planes; ``runs`` maxima of k consecutive cells by doubling; ``integer_means`` exact
integer averages; ``per_window`` one window at a time; ``lp``, ``stochastic``, ``fractional``,
``adaptive`` and ``rank`` (median, mode) their modes; ``blur`` blurpool and maxblurpool;
``volume_cells`` 3-D windows (pool3d, frames pooled together); ``winners`` which pixel max and min
kept, and unpooling. May import the rest of
:mod:`poolcli.core` below ``passes`` and ``pooling``.
"""
