"""Decoding an image a band of rows at a time, for images too large to hold: libvips.

Pillow decodes a whole image into memory (its ``crop()`` decodes everything first). libvips
(through pyvips; the ``pyvips-binary`` wheel brings the library, so nothing comes from the
system) decodes on demand: opened for sequential access, a PNG is inflated row by row, a JPEG
decoded by scanline, a TIFF read a strip or a tile at a time (BigTIFF too), and only a few
bands are in memory whatever the image's size. It is the optional extra ``poolimg[huge]``;
without it, :func:`require` says in one line what to install.

The pixels are Pillow's: 8-bit images as they are, 16-bit grey as ``I;16``; a 16-bit colour
image is cut to its high bytes, as Pillow cuts it. Lossless files decode to the same values
as Pillow's; JPEG goes through libjpeg-turbo in both, with the same upsampling
(``tests/test_huge.py`` compares them). The next band is decoded in a thread while the
current one is pooled (libvips releases the GIL).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Iterator
from types import ModuleType

import numpy as np

from poolcli.errors import InputError, missing_extra
from poolcli.io.guard import CORRUPT, one_line

# The formats this reader takes, by Pillow's name; the Pillow modes it gives, and their
# channels; the modes of the files it reads (Pillow's) whose values Pillow gives the same.
FORMATS = frozenset({"PNG", "TIFF", "JPEG"})
MODES = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4, "I;16": 1}
SOURCE_MODES = frozenset({*MODES, "I;16B", "I;16L"})


def require(what: str) -> ModuleType:
    """pyvips, or the one line that says what to install for ``what``."""
    try:
        import pyvips  # type: ignore[import-untyped]
    except (ImportError, OSError):  # OSError: pyvips without its library
        raise missing_extra(what, "huge") from None
    pyvips.cache_set_max(0)  # no operation kept: each band's crop is used once
    module: ModuleType = pyvips
    return module


class BandReader:
    """An image file decoded top to bottom, ``rows`` rows at a time, into planar bands.

    Examples
    --------
    >>> import tempfile, os
    >>> from PIL import Image
    >>> path = os.path.join(tempfile.mkdtemp(), "a.png")
    >>> Image.fromarray(np.arange(12, dtype=np.uint8).reshape(4, 3)).save(path)
    >>> reader = BandReader(path, "L")
    >>> [band.shape for band in reader.bands(3)]
    [(1, 3, 3), (1, 1, 3)]
    """

    def __init__(
        self, path: str, mode: str, *, name: str | None = None, allow_truncated: bool = False
    ) -> None:
        self.name = name or path
        self.mode = mode
        pyvips = require(f"{self.name}: pooling an image in bands needs libvips")
        self._error = pyvips.Error
        try:
            self.image = pyvips.Image.new_from_file(
                path, access="sequential", fail_on="none" if allow_truncated else "truncated"
            )
        except pyvips.Error as exc:
            raise self._failed(exc) from None
        self.width, self.height = self.image.width, self.image.height
        self.channels = MODES.get(mode, 0)
        bands, fmt = self.image.bands, self.image.format
        if fmt not in ("uchar", "ushort") or bands != self.channels:
            raise InputError(
                f"{self.name}: libvips reads {bands} channels of {fmt}, not the {mode} that "
                "Pillow reads; it cannot be pooled in bands"
            )
        # 16-bit colour: Pillow keeps the high byte
        self.shift = 8 if fmt == "ushort" and mode != "I;16" else 0
        self.dtype = np.dtype(np.uint16 if fmt == "ushort" and not self.shift else np.uint8)

    def _failed(self, exc: Exception) -> InputError:
        """libvips's own words for what failed (its log, ``detail``), in one line."""
        said = [str(getattr(exc, "detail", "") or ""), str(getattr(exc, "message", exc))]
        lines = [line.strip() for text in said for line in text.splitlines() if line.strip()]
        message = one_line(lines[0]) if lines else type(exc).__name__
        return InputError(f"{self.name}: {CORRUPT} ({message})")

    def bands(self, rows: int) -> Iterator[np.ndarray]:
        """The image's rows top to bottom, ``rows`` at a time (the last band the rest), as
        planar ``(C, rows, W)`` arrays; the next band is decoded while this one is used."""
        return _ahead(self._decoded(rows))

    def _decoded(self, rows: int) -> Iterator[np.ndarray]:
        import pyvips

        region = pyvips.Region.new(self.image)
        source = np.dtype(np.uint16 if self.image.format == "ushort" else np.uint8)
        channels = self.image.bands
        for top in range(0, self.height, rows):
            count = min(rows, self.height - top)
            try:
                data = region.fetch(0, top, self.width, count)
            except pyvips.Error as exc:
                raise self._failed(exc) from None
            pixels = np.frombuffer(data, source).reshape(count, self.width, channels)
            if self.shift:
                pixels = (pixels >> self.shift).astype(np.uint8)
            yield np.ascontiguousarray(pixels.transpose(2, 0, 1))


_DONE = object()


def _ahead(bands: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
    """``bands``, each decoded in a thread while the one before is used: one band ahead."""
    handoff: queue.Queue[object] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def decode() -> None:
        try:
            for band in bands:
                while not stop.is_set():
                    try:
                        handoff.put(band, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            handoff.put(_DONE)
        except BaseException as exc:  # handed to the consumer, raised there
            handoff.put(exc)

    worker = threading.Thread(target=decode, name="poolimg-decode", daemon=True)
    worker.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, np.ndarray)
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # let it see the stop, never blocked on a full queue
            with contextlib.suppress(queue.Empty):
                handoff.get(timeout=0.1)
        worker.join()
