"""Pooling numpy arrays: the numeric core, with no Pillow and no files.

Owns the public numeric API (``pooling``: ``pool``, ``pool_passes``, ``unpool``), the loop over
passes (``passes``), where windows fall (``geometry``, ``axes``), what each mode does to a window
(``reducers``), layouts and threads, sRGB transfer (``colour``) and how large sums grow
(``sum_growth``). The inner loops, and which pixel each window kept, live in
:mod:`poolcli.core.kernels`. May import :mod:`poolcli.spec`, :mod:`poolcli.errors` and numpy.
"""
