"""One input through the whole pipeline: load, plan, pool every pass, write, draw its sheet.

Never prints and never raises for a bad input: :func:`run_one` returns a
:class:`~poolcli.batch.report.Result` for whatever happens, a bug in poolcli included.
"""

from __future__ import annotations

import contextlib
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from poolcli.batch.draft import drafted
from poolcli.batch.huge import Banded, decide, run_banded
from poolcli.batch.inputs import Source
from poolcli.batch.report import Result
from poolcli.batch.run_options import RunOptions
from poolcli.batch.targets import (
    all_written,
    already_within,
    extensions,
    file_targets,
    frame_plans,
    from_header,
    short_of_fit,
    written_passes,
)
from poolcli.batch.writes import (
    finish_sheet,
    kept_metadata,
    page_sheet,
    settle_writing,
    unpooled_picture,
    write_pass,
)
from poolcli.core.geometry import PassGeometry, plan_for
from poolcli.core.passes import run_passes, run_passes_indexed
from poolcli.errors import ParameterError, PoolError, StdoutClosed
from poolcli.remote import faults, storage
from poolcli.spec.formats import LINEAR_MODES
from poolcli.spec.pool_spec import PALETTE_MODES
from poolcli.spec.sizes import Target

if TYPE_CHECKING:  # Pillow: imported when an input is read, not with this module
    import numpy as np

    from poolcli.batch.stack_pages import StackPages
    from poolcli.io.picture import Picture
    from poolcli.pictures.sheet import SheetRow
    from poolcli.spec.style import SheetStyle


def run_one(source: Source, run: RunOptions, threads: int | None = None) -> Result:
    """Load, pool and write one input; every failure becomes a failed Result.

    A bug in poolcli fails the input too (``internal`` set, the traceback kept for ``-v``)
    rather than the run. Ctrl-C raises :class:`Interrupted`, carrying the result so far: the
    passes written completely before it are on disk and listed.
    """
    started = time.monotonic()
    result = Result(source.path, "done")
    storage.configure(run.storage_options, run.run_id)
    try:
        result = _run_one(source, run, threads, result)
    except ParameterError as exc:
        result = Result(source.path, "failed", error=f"{source.shown}: {exc}", usage_error=True)
    except PoolError as exc:
        result = Result(source.path, "failed", error=str(exc), outputs=result.outputs)
        result.unreachable = isinstance(exc, faults.StorageError) and exc.exhausted
    except MemoryError:
        error = f"{source.shown}: not enough memory"
        result = Result(source.path, "failed", error=error, outputs=result.outputs)
    except KeyboardInterrupt:
        settle_writing(result)
        result.status, result.error = "interrupted", f"{source.shown}: interrupted"
        raise Interrupted(result) from None
    except StdoutClosed:
        raise  # not this input's failure: the run stops
    except Exception as exc:  # a bug: say so, and go on with the other inputs
        result = Result(
            source.path,
            "failed",
            error=f"{source.shown}: internal error ({type(exc).__name__}: {exc}); "
            "please report it with the file",
            outputs=result.outputs,
            internal=traceback.format_exc(),
        )
    result.seconds = time.monotonic() - started
    return result


ALL_EXIST = "every output exists (--no-clobber)"  # why such an input is skipped


class _Clock:
    """Adds the seconds spent in each stage of an input to ``timings`` (what ``-v`` shows)."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings

    @contextlib.contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) during one input; ``result`` lists what it had written."""

    def __init__(self, result: Result) -> None:
        super().__init__(result.input)
        self.result = result


def _run_one(source: Source, run: RunOptions, threads: int | None, result: Result) -> Result:
    if (
        run.no_clobber
        and run.write_images
        and not run.indexed
        and source.path != "-"
        and all_written(source, run)
    ):
        return Result(source.path, "skipped", reason=ALL_EXIST)
    clock = _Clock(result.timings)
    try:
        picture, decided = _load(source, run, clock, result)
    except Banded as banded:  # too large to hold: decoded, pooled and written in bands
        _say_if_short(run, banded.plan, result)
        with clock("banded"):
            return run_banded(source, run, banded, threads, result)
    if not run.write_images:
        return _global_values(source, picture, run, threads, result)
    plan, targets = _plan_and_targets(source, run, picture, decided)
    skipped = decided.drafted  # passes the scaled decode stands for (--draft)
    if not plan:  # -n fit:N on an image already within N
        return Result(source.path, "skipped", reason=already_within(run))
    _say_if_short(run, plan, result)
    shape = picture.frames[0].shape[1:]
    same_size = plan[0].output_shape == shape and not run.spec.pools_frames  # WxHxD: frames go
    if isinstance(run.spec.output_size, Target) and same_size:
        words = run.spec.output_size.text()
        result.warnings.append(f"already within {words}: written at its own size")
    linear = run.linear and picture.mode in LINEAR_MODES
    if run.linear and not linear:
        result.warnings.append(f"--linear does not apply to {picture.mode} images; ignored")
    if run.html is not None and not run.html_gallery:  # one input: its explorer page
        from poolcli.pictures.explorer import explore

        with clock("page"):
            result.page = explore(picture, run.spec, title=source.shown, threads=threads)
    rows = _Rows.for_run(picture, run, [g.output_shape for g in plan])
    protect = [] if source.path == "-" else [source.path]
    original = picture.frames[0] if run.indexed else None  # kept: unpooled pictures are its size
    deep = None
    if decided.pages is not None:  # -k WxHxD: pooled as decoded
        skipped = 1
        deep = _across_frames(picture, decided.pages)
        picture = next(deep)
    else:
        first, others = _pass_streams(picture, run, plan[skipped:], linear, threads)
    index = None
    for geom in plan:
        if geom.index < skipped:
            continue
        if geom.index > skipped:
            with clock("pool"):
                if deep is not None:
                    picture = next(deep)
                else:
                    values, index = next(first)
                    # Rebinding `picture` lets the decoded image go once the first pass is done.
                    picture = picture.with_frames([values, *(next(o) for o in others)])
        if rows.drawn:
            with clock("sheet"):
                rows.add(picture, geom)
        target = targets.get(f"pass {geom.index}")
        if target is not None and not (decided.pages and geom.index in decided.pages.written):
            with clock("encode"):
                write_pass(picture, target, geom, run, protect, result, threads)
        if original is None or index is None:
            continue
        shown = unpooled_picture(picture, original, index, run)
        rows.add_unpooled(shown, geom, index, original, run)
        target = targets.get(f"pass {geom.index} unpooled")
        if target is not None:
            with clock("encode"):
                write_pass(shown, target, geom, run, protect, result, threads, original.shape[1:])
    if rows.sheet is not None:
        with clock("sheet"):
            slices = decided.pages.slices if decided.pages is not None else None
            finish_sheet(source, run, rows.sheet, protect, result, rows.unpooled, slices)
    if rows.shown is not None and run.show_style is not None:
        from poolcli.pictures.sheet import describe
        from poolcli.pictures.terminal_sheet import Board

        lines = [("", rows.shown.cells), ("detail", rows.shown.detail)]
        title = f"{source.shown}   {describe(run.spec)}"
        result.preview = Board.of(title, lines, run.show_style.background)
    if rows.page is not None:  # several inputs: its sheet, for the gallery page
        with clock("page"):
            result.page_sheet = page_sheet(source.shown, run, rows.page)
    if not result.outputs and run.no_clobber:
        result.status, result.reason = "skipped", ALL_EXIST
    return result


def _say_if_short(run: RunOptions, plan: list[PassGeometry], result: Result) -> None:
    short = short_of_fit(run, plan)
    if short is not None:
        result.warnings.append(short)


class Decided(dict[tuple[int, int], tuple[list[PassGeometry], dict[str, str]]]):
    """What the header decided, by the size it gave (the passes, the file each writes), and
    how many passes a scaled JPEG decode stands for (``--draft``)."""

    drafted: int = 0
    # -k WxHxD: every pass across frames, run as they were decoded, and where their frames went
    pages: StackPages | None = None


def _load(
    source: Source, run: RunOptions, clock: _Clock, result: Result
) -> tuple[Picture, Decided]:
    """The input decoded, with the metadata ``--strip`` and ``--keep-metadata`` keep, and what
    its header decided: whether the passes fit and the output formats hold them is known
    before decoding, so a tiny file claiming a huge canvas is refused before it is decoded."""
    from poolcli.io import reading

    decided = Decided()
    files = contextlib.ExitStack()  # the passes written page by page as a stack is decoded
    if run.spec.pools_frames:
        from poolcli.batch.stack_pages import StackPages

        decided.pages = StackPages(source, run, result, files)

    def before_decode(header: reading.Header) -> int | None:
        plan, targets = from_header(source, run, header)
        decide(source, run, header, plan, targets)  # or raise Banded, or refuse it
        decided[(header.height, header.width)] = plan, targets
        if decided.pages is not None:  # from_header said there are frames for every pass
            decided.pages.expect(header, targets, plan)
        if not run.draft or header.format != "JPEG" or header.frames != 1:
            return None
        if header.orientation != 1:  # its blocks are the stored image's, not the upright one's
            result.warnings.append(f"{source.shown}: --draft skipped: the JPEG is turned (EXIF)")
            return None
        first_written = 1 if not run.final_only else len(plan)
        decided.drafted, scale = drafted(plan, first_written)
        return scale if decided.drafted else None

    # a stack's passes are pooled, and its TIFF pages written, as it is decoded: one stage
    with clock("decode" if decided.pages is None else "stack"), files:
        picture = reading.load(
            source.path,
            max_pixels=run.max_pixels,
            size=source.size,
            before_decode=before_decode if run.write_images else None,
            allow_truncated=run.allow_truncated,
            palette=run.spec.mode in PALETTE_MODES,
            frames_to=decided.pages.chain if decided.pages is not None else None,
        )
    if decided.pages is not None:  # its files renamed into place as the block closed
        decided.pages.finish()
    result.warnings.extend(picture.notes)
    if run.save.metadata != "all":  # --strip, --keep-metadata: EXIF goes; "none" takes the rest
        picture = replace(picture, **kept_metadata(picture, run))
    return picture, decided


def _plan_and_targets(
    source: Source, run: RunOptions, picture: Picture, decided: Decided
) -> tuple[list[PassGeometry], dict[str, str]]:
    """The passes and the file each writes: the header's decision if the pixels have the size
    it said, else decided again on the pixels (a PNG whose EXIF, after its pixels, turned it)."""
    shape = picture.frames[0].shape[1:]
    if decided.drafted:  # decoded at the size of a pass: the header's one decision
        (header_said,) = decided.values()
        return header_said
    if shape in decided:
        return decided[shape]
    plan, wanted = written_passes(run, shape, len(picture.frames))
    exts = extensions(source, run, plan, picture.mode, picture.format)
    return plan, file_targets(source, run, plan, wanted, exts)


def _across_frames(picture: Picture, pages: StackPages) -> Iterator[Picture]:
    """Each pass's picture, pooled across the frames too (``-k WxHxD``) as the file was
    decoded: fewer frames, each lasting as long as the frames it steps over; only the first
    frame of a pass written page by page (it is the one a sheet draws)."""
    for index, windows in enumerate(pages.chain.windows, 1):
        picture = picture.with_slices(pages.frames[index], windows)
        yield picture


def _pass_streams(
    picture: Picture,
    run: RunOptions,
    plan: list[PassGeometry],
    linear: bool,
    threads: int | None,
) -> tuple[Iterator[tuple[np.ndarray, np.ndarray | None]], list[Iterator[np.ndarray]]]:
    """The passes of the first frame (with the indices of the pixels kept, for max, min and
    stochastic draws), and of every other frame, each pass computed when asked for."""
    alpha = picture.has_alpha
    frames = picture.frames
    first = (
        run_passes_indexed(frames[0], run.spec, plan, threads=threads)
        if run.indexed
        else _unindexed(
            run_passes(frames[0], run.spec, plan, alpha=alpha, linear=linear, threads=threads)
        )
    )
    plans = frame_plans(run, plan, frames)
    others = [
        run_passes(f, run.spec, p, alpha=alpha, linear=linear, threads=threads)
        for f, p in zip(frames[1:], plans[1:], strict=True)
    ]
    return first, others


@dataclass
class _Rows:
    """The sheet rows an input's passes are added to: its sheet (``--sheet``), the row of
    kept pixels under it (``--unpool``), and the picture ``--show`` draws."""

    sheet: SheetRow | None = None
    unpooled: SheetRow | None = None
    shown: SheetRow | None = None
    page: SheetRow | None = None

    @classmethod
    def for_run(cls, picture: Picture, run: RunOptions, shapes: list[tuple[int, int]]) -> _Rows:
        gallery = run.html is not None and run.html_gallery
        if run.sheet is None and run.show_style is None and not gallery:
            return cls()
        from poolcli.pictures.sheet import FROM_STYLE, SheetRow

        frame, mode = picture.viewable()
        # the rows drawn in the sheet's style show one detail region: it is looked for once
        region: object = FROM_STYLE

        def row(style: SheetStyle) -> SheetRow:
            nonlocal region
            if style != run.sheet_style:
                return SheetRow(frame, mode, style, shapes)
            drawn = SheetRow(frame, mode, style, shapes, region=region)
            region = drawn.region
            return drawn

        rows = cls()
        if run.sheet is not None:
            rows.sheet = row(run.sheet_style)
            rows.unpooled = row(run.sheet_style) if run.indexed else None
        if run.show_style is not None:  # --show: a sheet at the terminal's size, drawn there
            from poolcli.pictures.terminal_sheet import fit_screen

            rows.shown = row(fit_screen(run.show_style, frame.shape[1:], len(shapes) + 1, 1))
        if gallery:  # --html of several inputs: a sheet of each, for the gallery
            rows.page = row(run.sheet_style)
        return rows

    @property
    def drawn(self) -> bool:
        return self.sheet is not None or self.shown is not None or self.page is not None

    def add(self, picture: Picture, geom: PassGeometry) -> None:
        frame = picture.viewable()[0]
        for each in (self.sheet, self.shown, self.page):
            if each is not None:
                each.add(frame, geom.index)

    def add_unpooled(
        self,
        shown: Picture,
        geom: PassGeometry,
        index: np.ndarray,
        original: np.ndarray,
        run: RunOptions,
    ) -> None:
        if self.unpooled is None:
            return
        from poolcli.core.kernels.winners import kept_label

        how = "winners" if run.winners else "kept"
        label = kept_label(how, index, original.shape[1:])
        self.unpooled.add(shown.frames[0], geom.index, label)


def _unindexed(passes: Iterator[np.ndarray]) -> Iterator[tuple[np.ndarray, None]]:
    for values in passes:
        yield values, None


def _global_values(
    source: Source, picture: Picture, run: RunOptions, threads: int | None, result: Result
) -> Result:
    """Each channel's max, avg and min over the whole image, and the run's own mode's value
    when it is another (sum, lp, stochastic)."""
    from poolcli.core.kernels.dispatch import pool_planar
    from poolcli.core.pooling import pool
    from poolcli.core.reducers import reducer_for

    frame = picture.frames[0]
    values = {}
    for mode in ("max", "avg", "min"):
        pooled = pool(frame, mode, size="global", channel_axis=0, threads=threads)
        values[mode] = [v.item() for v in pooled[:, 0, 0]]
    spec = replace(run.spec, size="global", stride=None, padding="valid", passes=1)
    if spec.mode not in values and spec.mode != "stride":
        geom = plan_for(spec, frame.shape[1:])[0]
        pooled = pool_planar(frame, reducer_for(spec), geom, threads)
        values[spec.mode] = [v.item() for v in pooled[:, 0, 0]]
    result.values, result.channels = values, picture.mode
    return result
