"""One input too large to hold: decoded, pooled and written a band of rows at a time.

The run decides from the header (:func:`decide`, called before a pixel is decoded): an image
whose in-memory run would take more than ``--max-memory`` is pooled in bands when it can be,
and refused in one line saying why when it cannot. :func:`run_banded` then reads it with
:class:`~poolcli.io.band_reading.BandReader`, runs every pass with
:func:`~poolcli.core.streaming.stream_passes`, and writes each pass as its rows come: PNG and
TIFF in bands (:mod:`poolcli.io.band_writing`), any other format whole, once its pass is
complete, if it fits within the memory. The values are the in-memory run's, bit for bit.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Literal

from poolcli.batch.inputs import Source
from poolcli.batch.report import Output, Result
from poolcli.batch.run_options import RunOptions
from poolcli.batch.writes import kept_metadata
from poolcli.core.geometry import PassGeometry
from poolcli.errors import InputError, ParameterError, missing_extra
from poolcli.io.band_writing import TILE
from poolcli.remote import storage
from poolcli.spec.formats import LINEAR_MODES, format_for
from poolcli.spec.limits import bytes_text

if TYPE_CHECKING:
    import numpy as np

    from poolcli.io.band_writing import PngRows, TiffTiles
    from poolcli.io.reading import Header

# Bytes of each band of input rows decoded at a time, at most; a sixteenth of --max-memory
# when that is less, at least a row (a pass waits for the rows its windows read).
BAND_BYTES = 4 << 20
# Pixels from which an image is pooled in bands even when it fits in memory, if it can be.
BANDED_PAST = 64_000_000
_STREAMED_FORMATS = frozenset({"PNG", "TIFF"})
# Lines libvips keeps decoded behind a sequential read, whatever band is asked for, by format
# (1,024 for the rest): measured on rows of 59 KiB, PNG about 1,070 and TIFF 870; JPEG held
# more than its 3,000 lines (docs/huge.md, "Known limit").
VIPS_CACHED_LINES = {"JPEG": 4096}
Targets = dict[str, str]  # what an input writes ("pass 2") -> where


class Banded(Exception):
    """Raised from the header to take the banded path: this input is pooled in bands."""

    def __init__(self, header: Header, plan: list[PassGeometry], targets: Targets) -> None:
        super().__init__(header.width, header.height)
        self.header, self.plan, self.targets = header, plan, targets


@dataclass(frozen=True)
class Estimate:
    """What a run of one input would hold at its peak, in memory and in bands (None: it
    cannot run in bands, ``why``)."""

    in_memory: int
    banded: int | None
    why: str | None


def estimate(
    source: Source,
    run: RunOptions,
    header: Header,
    plan: list[PassGeometry],
    targets: Targets,
) -> Estimate:
    """The peak memory of ``source``'s run both ways, from its header and plan."""
    channels = {"L": 1, "LA": 2, "RGB": 3, "I;16": 1}.get(header.mode, 4)
    item = 2 if header.mode == "I;16" else 1
    wide = 4 if run.spec.mode in ("sum", "lp") else item  # sums and norms widen
    if run.spec.pools_frames:
        frames, passes = _stack_held(run, header, plan, targets, channels * wide)
    else:  # every frame decoded, and the first pass
        frames = max(header.frames, 1)
        passes = plan[0].output_shape[0] * plan[0].output_shape[1] * channels * wide if plan else 0
    pixels = header.width * header.height * frames
    planar = pixels * channels * item
    pillow = pixels * (4 if channels > 1 else item)  # Pillow holds 4 bytes a colour pixel
    in_memory = pillow + planar + passes
    why = why_not_banded(source, run, header, plan, targets)
    if why is not None:
        return Estimate(in_memory, None, why)
    row = header.width * channels * item
    band = band_bytes(run.max_memory, row)
    # each pass: the rows its next windows read
    held = sum((g.rows.extent + 1) * g.cols.n * channels * wide for g in plan)
    writers = 0
    for what, path in targets.items():
        geom = plan[int(what.split()[1]) - 1]
        out_row = geom.output_shape[1] * channels * wide
        if format_for(path, run.save.format) == "TIFF":
            writers += TILE * out_row  # a row of tiles
        elif format_for(path, run.save.format) != "PNG":
            writers += geom.output_shape[0] * out_row  # held whole until written
    # the band read ahead, the band pooled, numpy's and the PNG filters' temporaries, and
    # libvips's cache of decoded lines behind a sequential read (docs/huge.md, measured)
    cached = min(header.height, VIPS_CACHED_LINES.get(header.format or "", 1024)) * row
    banded = 8 * band + held + writers + cached
    return Estimate(in_memory, banded, None)


def _stack_held(
    run: RunOptions, header: Header, plan: list[PassGeometry], targets: Targets, cell: int
) -> tuple[int, int]:
    """A stack pooled across its frames as it is decoded: the input frames held at once, and
    the bytes of the passes' frames held. ``cell``: the bytes of a pooled pixel.

    A pass folds each frame into its windows as it comes (integer max, min, sum, avg: one
    total a window open, the input's frames not held) or holds a window's frames; and every
    frame of a pass not written a page at a time is held until it is written."""
    from poolcli.batch.stack_pages import written_as_pages
    from poolcli.core.frames import depth_windows, frames_after, holds_folded, most_open

    integers = header.mode != "F"
    counts = [header.frames, *frames_after(header.frames, run.spec, plan)]

    def held(count: int, folded: bool) -> int:  # what a pass over ``count`` frames holds at once
        windows = depth_windows(run.spec, count)
        return most_open(windows) if folded else max(e - s for s, e in windows)

    first_folded = bool(plan) and holds_folded(run.spec, plan[0], integers)
    inputs = 1 if first_folded else held(counts[0], False) + 1  # and the one being decoded
    total = 0
    for geom, before, count in zip(plan, counts[:-1], counts[1:], strict=True):
        out = geom.output_shape[0] * geom.output_shape[1] * cell
        if holds_folded(run.spec, geom, integers):  # a total a window open, up to 4 times wider
            total += 4 * held(before, True) * out
        else:  # a window's frames (the first pass's are counted as inputs), and their stack
            frames = held(before, False) * geom.rows.n * geom.cols.n * cell
            total += frames * (1 if geom.index == 1 else 2)
        path = targets.get(f"pass {geom.index}")
        whole = path is not None and not written_as_pages(path, run)
        total += out * (count if whole else 1)
    return min(header.frames, inputs), total


def band_bytes(budget: int, row: int) -> int:
    """The bytes of each band of input rows of ``row`` bytes, within a ``budget``."""
    return max(row, min(BAND_BYTES, budget // 16) // row * row)


def why_not_banded(
    source: Source,
    run: RunOptions,
    header: Header,
    plan: list[PassGeometry],
    targets: Targets,
) -> str | None:
    """Why ``source`` cannot be pooled in bands, or None when it can."""
    from poolcli.core.streaming import why_not
    from poolcli.io.band_reading import FORMATS, SOURCE_MODES

    if source.path == "-" or storage.is_remote(source.path):
        return "only a local file is read in bands"
    if header.frames > 1:
        return f"its {header.frames} frames are pooled one by one, each whole"
    if header.format not in FORMATS:
        return f"only PNG, TIFF and JPEG are read in bands, not {header.format}"
    if header.source_mode not in SOURCE_MODES:
        return f"its {header.source_mode} pixels are converted whole"
    if header.orientation != 1:
        return f"its EXIF orientation ({header.orientation}) turns the whole image"
    if run.indexed:
        return "--unpool and --winners follow each pixel back through the whole image"
    if run.stretch:
        return "--stretch scales each pass by its largest value"
    if run.sheet is not None or run.show_style is not None or run.html is not None:
        return "sheets and pages are drawn from the whole image"
    for path in targets.values():
        if path == "-" or storage.is_remote(path):
            return "only local files are written in bands"
    return why_not(run.spec, plan)


@dataclass(frozen=True)
class Choice:
    """How one input is run: ``"memory"``, ``"bands"`` or ``"refused"`` (``why``), and the
    peak bytes of pixels the run holds that way (beside the interpreter and libraries)."""

    path: Literal["memory", "bands", "refused"]
    peak: int
    why: str | None = None


def choose(
    source: Source, run: RunOptions, header: Header, plan: list[PassGeometry], targets: Targets
) -> Choice:
    """Whether ``source`` is decoded whole or in bands, or refused, before a pixel is decoded.

    In bands when the in-memory run would pass ``--max-memory``, and also, when it can be, for
    an image of :data:`BANDED_PAST` pixels or more whose outputs are all PNG or TIFF (it costs
    nothing there: faster on PNG, as fast on TIFF, ``benchmarks/bench_huge.py``) and for every
    image with ``--in-bands``. Refused, saying why, when neither way fits."""
    found = estimate(source, run, header, plan, targets)
    if found.in_memory <= run.max_memory:
        large = header.width * header.height >= BANDED_PAST and _all_in_bands(run, targets)
        if (large or run.in_bands) and found.banded is not None and _has_vips():
            return Choice("bands", found.banded)
        return Choice("memory", found.in_memory)
    size = f"{header.width}x{header.height}"
    need = f"needs about {bytes_text(found.in_memory)} in memory"
    limit = f"--max-memory {bytes_text(run.max_memory)}"
    if found.banded is None:
        why = f"{size} {need}, over {limit}, and cannot be pooled in bands: {found.why}"
        return Choice("refused", found.in_memory, why)
    if found.banded > run.max_memory:
        why = f"{size} {need}, over {limit}, and about {bytes_text(found.banded)} in bands"
        return Choice("refused", found.in_memory, f"{why}; raise --max-memory")
    if not _has_vips():
        why = f"{size} {need}, over {limit}; pooling it in bands needs libvips"
        return Choice("refused", found.in_memory, str(missing_extra(why, "huge")))
    return Choice("bands", found.banded)


def decide(
    source: Source, run: RunOptions, header: Header, plan: list[PassGeometry], targets: Targets
) -> None:
    """Before a pixel is decoded (:func:`choose`): return to decode ``source`` whole, raise
    :class:`Banded` to pool it in bands, or an :class:`InputError` saying why it is refused."""
    if not plan or not run.write_images:
        return
    choice = choose(source, run, header, plan, targets)
    if choice.path == "bands":
        raise Banded(header, plan, targets)
    if choice.path == "refused":
        raise InputError(f"{source.shown}: {choice.why}")


def _all_in_bands(run: RunOptions, targets: Targets) -> bool:
    formats = {format_for(path, run.save.format) for path in targets.values()}
    return formats <= _STREAMED_FORMATS


def _has_vips() -> bool:
    from poolcli.io.band_reading import require

    try:
        require("")
    except ParameterError:
        return False
    return True


def run_banded(
    source: Source, run: RunOptions, banded: Banded, threads: int | None, result: Result
) -> Result:
    """Pool ``source`` in bands and write every pass; ``result`` lists what was written."""
    from poolcli.core.streaming import stream_passes
    from poolcli.io.band_reading import BandReader

    header, plan = banded.header, banded.plan
    mode = header.mode
    reader = BandReader(source.path, mode, name=source.shown, allow_truncated=run.allow_truncated)
    row = reader.width * reader.channels * reader.dtype.itemsize
    rows = band_bytes(run.max_memory, row) // row
    if (
        header.exif
        and run.save.metadata == "all"
        and any(format_for(path, run.save.format) == "TIFF" for path in banded.targets.values())
    ):
        result.warnings.append(f"{source.shown}: EXIF is not carried into TIFF pooled in bands")
    metadata = kept_metadata(header, run)
    protect = [source.path]
    with contextlib.ExitStack() as files:
        sinks: dict[int, _Sink] = {}
        for what, path in banded.targets.items():
            geom = plan[int(what.split()[1]) - 1]
            if run.no_clobber and storage.exists(path):
                result.existing.append(path)
                continue
            sinks[geom.index] = _Sink.open(files, path, geom, mode, run, metadata, protect)
        alpha = mode in ("LA", "RGBA")
        linear = run.linear and mode in LINEAR_MODES
        passes = stream_passes(
            reader.bands(rows), run.spec, plan, alpha=alpha, linear=linear, threads=threads
        )
        for index, band in passes:
            sink = sinks.get(index)
            if sink is not None:
                sink.write(band)
        for sink in sinks.values():
            sink.finish(result)
    for sink in sinks.values():  # renamed into place: listed
        result.outputs.append(sink.output)
        with contextlib.suppress(OSError):
            sink.output.bytes = os.stat(sink.output.path).st_size
    result.warnings.extend(sink.note for sink in sinks.values() if sink.note)
    return result


class _Sink:
    """Where one pass's rows go: an encoder writing them as they come (PNG, TIFF), or the rows
    held until the pass is complete (any other format)."""

    def __init__(self, path: str, geom: PassGeometry, mode: str, run: RunOptions, fmt: str) -> None:
        height, width = geom.output_shape
        self.path, self.geom, self.mode, self.run, self.fmt = path, geom, mode, run, fmt
        self.output = Output(path, width, height, geom.index, 0, "pass")
        self.encoder: PngRows | TiffTiles | None = None
        self.handle: IO[bytes] | None = None
        self.held: list[np.ndarray] = []
        self.clipped = 0
        self.note: str | None = None
        self.metadata: dict[str, Any] = {}
        self.protect: list[str] = []

    @classmethod
    def open(
        cls,
        files: contextlib.ExitStack,
        path: str,
        geom: PassGeometry,
        mode: str,
        run: RunOptions,
        metadata: dict[str, Any],
        protect: list[str],
    ) -> _Sink:
        from poolcli.io.writing import open_for_pieces
        from poolcli.spec.formats import check_side

        fmt = format_for(path, run.save.format)
        sink = cls(path, geom, mode, run, fmt)
        sink.metadata, sink.protect = metadata, protect
        height, width = geom.output_shape
        check_side(path, fmt, width, height)
        if fmt not in _STREAMED_FORMATS:
            return sink
        sink.handle = open_for_pieces(files, path, protect, run.inside)
        return sink

    def write(self, band: np.ndarray) -> None:
        from poolcli.io.band_writing import PngRows, TiffTiles
        from poolcli.io.deep_encoders import fit_deep, is_deep, target_of

        if self.fmt not in _STREAMED_FORMATS:
            self.held.append(band)
            return
        if is_deep(band, self.mode):
            band, clipped = fit_deep(band, target_of(self.fmt, band.dtype))
            self.clipped += clipped
        if self.encoder is None:
            assert self.handle is not None  # opened for the formats written in bands
            height, width = self.geom.output_shape
            encoder: PngRows | TiffTiles
            if self.fmt == "PNG":
                level = self.run.save.compress_level
                encoder = PngRows(
                    self.handle, width, height, self.mode, band.dtype, level=level, **self.metadata
                )
            else:
                encoder = TiffTiles(
                    self.handle, width, height, self.mode, band.dtype, **self.metadata
                )
            self.encoder = encoder
        self.encoder.write(band)

    def finish(self, result: Result) -> None:
        if self.encoder is not None:
            self.encoder.close()
            if self.clipped:
                from poolcli.io.deep_encoders import clipped_note

                self.note = clipped_note(self.path, self.clipped, self.fmt)
            return
        import numpy as np

        from poolcli.io.picture import Picture
        from poolcli.io.writing import save

        frame = np.concatenate(self.held, axis=1)
        self.held = []
        picture = Picture(
            frames=[frame],
            mode=self.mode,
            name=self.path,
            icc_profile=self.metadata["icc_profile"],
            dpi=self.metadata["dpi"],
            exif=self.metadata["exif"],
        )
        notes = save(
            picture, self.path, self.run.save, protect=self.protect, inside=self.run.inside
        )
        self.note = "; ".join(notes) or None
