"""Image files in and out: Pillow and the codecs, kept safe.

Owns reading (upright pixels, metadata, the fast JPEG path), writing (each format given what it
can hold, 16-bit and 32-bit encoders), the guard against hostile files, moving pixels between
Pillow and numpy, and atomic writes. May import :mod:`poolcli.remote`, :mod:`poolcli.spec` and
:mod:`poolcli.errors`, and from the core only its layouts
(``layout``: interleaved and planar pixels).
"""
