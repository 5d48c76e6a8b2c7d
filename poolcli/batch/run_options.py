"""What a run does to each input: :class:`RunOptions`, the one object the command line builds
and the workers receive. Stdlib only."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from poolcli.remote.storage import is_remote
from poolcli.spec.formats import SaveOptions
from poolcli.spec.limits import DEFAULT_MAX_PIXELS, default_max_memory
from poolcli.spec.pool_spec import PoolSpec
from poolcli.spec.style import SheetStyle

DEFAULT_OUTPUT = "poolimg-out"


@dataclass(frozen=True)
class RunOptions:
    """Everything a run does to each input.

    ``output`` is a folder, a file (one input, one image) or "-" (standard output, the final
    pass only); None means ``poolimg-out/``. ``name`` is a template of
    :data:`poolcli.batch.naming.TEMPLATE_FIELDS`. ``unpool`` (the background of the losers) and
    ``winners`` write, beside each pass, the input-sized picture of the pixels it kept.
    """

    spec: PoolSpec
    output: str | None = None
    name: str | None = None
    final_only: bool = False
    save: SaveOptions = field(default_factory=SaveOptions)
    linear: bool = False
    stretch: bool = False  # sums and Lp norms scaled to the output format's range
    no_clobber: bool = False
    max_pixels: int | None = DEFAULT_MAX_PIXELS  # None: no limit
    # bytes one input's run may hold; past it an image is pooled in bands (poolcli.batch.huge)
    max_memory: int = field(default_factory=default_max_memory)
    in_bands: bool = False  # in bands whenever an image can be, even if it fits (--in-bands)
    draft: bool = False  # JPEGs decoded smaller by libjpeg in place of the first averages
    allow_truncated: bool = False  # decode what a truncated file holds, with a warning
    write_images: bool = True
    sheet: str | None = None  # "auto": one sheet per input beside its outputs; else a path
    sheet_only: bool = False
    sheet_style: SheetStyle = field(default_factory=SheetStyle)
    shared_sheet: bool = False  # several inputs, one sheet: workers return rows, not files
    unpool: Literal["dark", "dim"] | None = None  # also write where each pass's pixels won
    winners: bool = False  # ... as a heat map of how many windows each pixel won
    dry_run: bool = False  # list what each input would write; write nothing
    show: str | None = None  # draw each input's sheet in the terminal: how (auto, blocks, ...)
    show_style: SheetStyle | None = None  # ... at a size for the terminal
    html: str | None = None  # --html: a page of the run (the explorer, or a gallery of sheets)
    html_gallery: bool = False  # ... a gallery: several inputs, or a mode the explorer cannot show
    # fsspec options of URLs (--storage-option; never credentials), and the token this run
    # tags the objects it writes with (poolcli.remote.storage)
    storage_options: tuple[tuple[str, str], ...] = ()
    run_id: str = ""

    @property
    def indexed(self) -> bool:
        """Whether the run follows each pass's pixels back to the input (unpool, winners)."""
        return self.unpool is not None or self.winners

    @property
    def output_kind(self) -> Literal["folder", "file", "stdout"]:
        if self.output == "-":
            return "stdout"
        if self.output is not None and is_remote(self.output):
            named = PurePosixPath(self.output).suffix and not self.output.endswith("/")
            return "file" if named else "folder"
        if self.output is None or self.output.endswith(("/", os.sep)) or Path(self.output).is_dir():
            return "folder"
        return "file" if Path(self.output).suffix else "folder"

    @property
    def folder(self) -> Path:
        return Path(self.output or DEFAULT_OUTPUT) if self.output_kind == "folder" else Path(".")

    @property
    def inside(self) -> Path | str | None:
        """The output folder every output of the run stays inside, links included (None: the
        output is a file or standard output, named by the user)."""
        return self.writes_to if self.output_kind == "folder" else None

    @property
    def writes_to(self) -> Path | str | None:
        """The output folder (a URL as a string), whose files must never be taken as inputs;
        None if none."""
        if self.output_kind != "folder" or not self.write_images:
            return None
        return self.output if self.output is not None and is_remote(self.output) else self.folder
