"""Where each pass's frames go when a stack is pooled across its frames (``-k WxHxD``) as it
is decoded.

:class:`~poolcli.core.frames.StackChain` hands every pass's frames over as they are pooled,
while the file is still being decoded. A pass written as a local TIFF (a microscope's stack,
a scan's pages) is written a page at a time (:class:`~poolcli.io.writing.TiffPages`) into its
temporary file, renamed into place when the decode ends, so no pass is ever held whole; any
other pass's frames are held and written once the decode ends, as every pass is (GIF, WebP and
APNG encoders take an animation's frames at once). A pass's first frame is always kept: the
sheets draw it; the frames a sheet's rows of slices show go to them as they come.
"""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING, Any

from poolcli.batch.inputs import Source
from poolcli.batch.report import Output, Result
from poolcli.batch.run_options import RunOptions
from poolcli.batch.writes import kept_metadata
from poolcli.core.frames import StackChain
from poolcli.core.sum_growth import DEEP_MODES
from poolcli.errors import OutputError
from poolcli.remote import storage
from poolcli.spec.formats import format_for

if TYPE_CHECKING:
    import numpy as np

    from poolcli.core.geometry import PassGeometry
    from poolcli.io.deep_encoders import Tiff32Pages
    from poolcli.io.reading import Header
    from poolcli.io.writing import TiffPages
    from poolcli.pictures.slices import SliceRows


def written_as_pages(path: str, run: RunOptions) -> bool:
    """Whether a pass across frames bound for ``path`` is written a page at a time: a local
    TIFF (sums and Lp norms as 32-bit pages), unless ``--stretch`` scales sums by the pass's
    largest value, which only the whole pass knows."""
    local = path != "-" and not storage.is_remote(path)
    stretched = run.stretch and run.spec.mode in DEEP_MODES
    return local and not stretched and format_for(path, run.save.format) == "TIFF"


class StackPages:
    """Each pass's frames from its :attr:`chain` (a :class:`~poolcli.core.frames.StackChain`,
    which the decoder feeds): written page by
    page (:attr:`written`, the passes whose file this wrote or found existing), or held
    (:attr:`frames`). ``files`` holds the open temporary files: each is renamed into place when
    it closes without an error, removed if it closes with one."""

    def __init__(
        self, source: Source, run: RunOptions, result: Result, files: contextlib.ExitStack
    ) -> None:
        self.source, self.run, self.result, self.files = source, run, result, files
        self.chain = StackChain(run.spec, source.shown, self)  # the passes, feeding this
        self.targets: dict[str, str] = {}
        self.mode = ""
        self.size = (0, 0)  # the input's (width, height)
        self.metadata: dict[str, Any] = {}
        self.frames: dict[int, list[np.ndarray]] = {}  # each pass's held (or first) frames
        self.written: set[int] = set()
        self.outputs: dict[int, Output] = {}
        self._pages: dict[int, TiffPages | Tiff32Pages] = {}
        self.clipped: dict[int, int] = {}  # values of each pass's 32-bit pages clipped
        self.slices: SliceRows | None = None  # the sheet's rows of slices (--sheet)

    def expect(self, header: Header, targets: dict[str, str], plan: list[PassGeometry]) -> None:
        """The header's word: the input's frames, mode, size and metadata, its passes (the
        header said there are frames enough for each) and the files it writes."""
        self.chain.expect(header.frames, plan)
        self.targets, self.mode = targets, header.mode
        self.size = (header.width, header.height)
        self.metadata = kept_metadata(header, self.run)
        if self.run.sheet is not None and not self.run.shared_sheet:
            from poolcli.pictures.slices import SliceRows

            shapes = [geom.output_shape for geom in plan]
            style = self.run.sheet_style
            self.slices = SliceRows(header.mode, style, header.frames, self.chain.windows, shapes)

    def start(self) -> None:
        """No frame yet (a decode retried): the pages written so far go."""
        self.frames, self.clipped = {}, {}
        for pages in self._pages.values():
            pages.restart()
        if self.slices is not None:
            self.slices.start()

    def __call__(self, index: int, frame: np.ndarray) -> None:
        if self.slices is not None:
            self.slices.add(index, frame)
        if index == 0:
            return  # the input's own frame
        held = self.frames.setdefault(index, [])
        first = not held
        if first:
            held.append(frame)
            self._open(index, frame)
        pages = self._pages.get(index)
        if pages is not None:
            self._page(index, pages, frame)
        elif not first and self._holds(index):
            held.append(frame)

    def _holds(self, index: int) -> bool:
        """Whether a pass's frames are held for writing once the decode ends."""
        return f"pass {index}" in self.targets and index not in self.written

    def _open(self, index: int, frame: np.ndarray) -> None:
        """At a pass's first frame: its file opened for pages, if it is written as a local
        TIFF of the picture's own values."""
        from poolcli.io.deep_encoders import Tiff32Pages, is_deep
        from poolcli.io.writing import TiffPages, open_for_pieces

        path = self.targets.get(f"pass {index}")
        if path is None or not written_as_pages(path, self.run):
            return  # held, for the whole-picture writer
        if index in self.written:
            return  # opened before a retried decode: its file starts again (start)
        if self.run.no_clobber and storage.exists(path):
            self.result.existing.append(path)
            self.written.add(index)
            return
        run = self.run
        handle = open_for_pieces(self.files, path, [self.source.path], run.inside)
        if is_deep(frame, self.mode):  # sums, Lp norms: 32-bit pages
            self._pages[index] = Tiff32Pages(handle, self.mode)
        else:
            self._pages[index] = TiffPages(handle, path, run.save)
        self.written.add(index)
        height, width = frame.shape[1:]
        self.outputs[index] = Output(path, width, height, index, 0, "pass")

    def _page(self, index: int, pages: TiffPages | Tiff32Pages, frame: np.ndarray) -> None:
        from poolcli.io.deep_encoders import fit_deep, target_of
        from poolcli.io.picture import Picture, scaled_dpi
        from poolcli.io.writing import TiffPages

        if not isinstance(pages, TiffPages):
            values, clipped = fit_deep(frame, target_of("TIFF", frame.dtype))
            self.clipped[index] = self.clipped.get(index, 0) + clipped
            try:
                pages.add(values)
            except ValueError as exc:
                raise OutputError(f"{self.targets[f'pass {index}']}: {exc}") from None
            return
        dpi = scaled_dpi(self.metadata["dpi"], self.size, frame.shape)
        picture = Picture([frame], self.mode, pages.name, **{**self.metadata, "dpi": dpi})
        notes = pages.add(picture)
        self.result.warnings.extend(n for n in notes if n not in self.result.warnings)

    def finish(self) -> None:
        """List the files written page by page (called once they are renamed into place)."""
        for index in sorted(self.outputs):
            output = self.outputs[index]
            if self.clipped.get(index):
                from poolcli.io.deep_encoders import clipped_note

                note = clipped_note(output.path, self.clipped[index], "TIFF")
                self.result.warnings.append(note)
            with contextlib.suppress(OSError):
                output.bytes = os.stat(storage.local(output.path)).st_size
            self.result.outputs.append(output)
