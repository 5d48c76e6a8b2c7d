"""Which files an input's run writes, decided from its size and mode before any pixel is
pooled (or, for ``--dry-run`` and ``--no-clobber``, from its header alone): the passes written,
each one's name and extension, the plan of every frame.

Stdlib only at import; :mod:`poolcli.batch.pipeline` writes what this decides.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

from poolcli.batch.inputs import Source
from poolcli.batch.naming import check_distinct, extension, output_name, sheet_path
from poolcli.batch.report import Output, Result
from poolcli.batch.run_options import RunOptions
from poolcli.core.geometry import PassGeometry, PlanError, plan_for
from poolcli.core.sum_growth import DEEP_MODES, deep_format
from poolcli.errors import ParameterError, PoolError
from poolcli.remote import storage
from poolcli.spec.formats import check_side, extension_for, format_for
from poolcli.spec.values import wxh

if TYPE_CHECKING:
    import numpy as np

    from poolcli.io.reading import Header


def plan_one(source: Source, run: RunOptions) -> Result:
    """What :func:`run_one` would write for ``source`` (``--dry-run``), from its header alone:
    a result whose outputs are the files it would write, with their sizes (0 bytes), and a
    warning for each it would skip; nothing is decoded or written. Failures are as
    :func:`run_one`'s: a file that cannot be read, a plan that does not fit, an image that
    fits in memory neither whole nor in bands."""
    from poolcli.io.guard import check_bytes, check_pixels
    from poolcli.io.reading import header

    result = Result(source.path, "done", dry_run=True)
    try:
        if source.path == "-":
            raise ParameterError("--dry-run cannot read standard input ahead; give files")
        found = header(source.path, source.size)
        size = (found.width, found.height)
        check_pixels(source.shown, size, run.max_pixels, frames=found.frames)
        check_bytes(source.shown, size, found.frames, found.mode, run.max_pixels, found.format)
        plan, chosen = from_header(source, run, found)
        if not plan:
            return Result(source.path, "skipped", reason=already_within(run), dry_run=True)
        _memory_allows(source, run, found, plan, chosen)
        by_index = {g.index: g for g in plan}
        for what, path in chosen.items():
            if run.no_clobber and path != "-" and storage.exists(path):
                result.existing.append(path)
                continue
            if what == "the contact sheet":
                result.outputs.append(Output(path, 0, 0, 0, 0, "sheet"))
                continue
            geom = by_index[int(what.split()[1])]
            height, width = geom.output_shape
            kind: Literal["pass", "unpool", "winners"] = "pass"
            if what.endswith("unpooled"):
                kind = "winners" if run.winners else "unpool"
                height, width = found.height, found.width
            result.outputs.append(Output(path, width, height, geom.index, 0, kind))
    except ParameterError as exc:
        return Result(source.path, "failed", error=f"{source.shown}: {exc}", usage_error=True)
    except PoolError as exc:
        return Result(source.path, "failed", error=str(exc))
    return result


def _memory_allows(
    source: Source, run: RunOptions, found: Header, plan: list[PassGeometry], chosen: dict[str, str]
) -> None:
    """Refuse, as the run would, an input that fits in memory neither whole nor in bands."""
    from poolcli.batch.huge import Banded, decide

    with contextlib.suppress(Banded):  # pooled in bands, it writes the same files
        decide(source, run, found, plan, chosen)


def already_within(run: RunOptions) -> str:
    """Why an input that ``-n fit:N`` leaves as it is is skipped."""
    return f"already within {run.spec.fit} pixels a side (-n fit:{run.spec.fit})"


def short_of_fit(run: RunOptions, plan: list[PassGeometry]) -> str | None:
    """Why ``-n fit:N`` stopped above N pixels a side, if it did: a stack's frames ran out
    (``-k WxHxD``), or no further window fits the pixels."""
    fit = run.spec.fit
    if fit is None or not plan or max(plan[-1].output_shape) <= fit:
        return None
    height, width = plan[-1].output_shape
    why = "the frames ran out" if run.spec.pools_frames else "no further pass fits"
    return f"-n fit:{fit} stopped at {width}x{height} after pass {plan[-1].index}: {why}"


def from_header(
    source: Source, run: RunOptions, found: Header
) -> tuple[list[PassGeometry], dict[str, str]]:
    """What a run writes for ``source``, decided from its header before a pixel is decoded:
    the plan, and each written file by what it is (as :func:`file_targets`).

    Raises
    ------
    ParameterError
        If the passes do not fit the image (a :class:`~poolcli.core.geometry.PlanError`), or
        its frames, pooled together (``-k WxHxD``), are too few for them.
    OutputError
        If an output's format cannot hold the pass written to it (WebP's 16383 pixels).
    """
    plan, wanted = written_passes(run, (found.height, found.width), found.frames)
    for geom in plan:  # Caffe's padding may make a pass larger than its input
        height, width = geom.output_shape
        if run.max_pixels is not None and height * width > run.max_pixels:
            raise ParameterError(
                f"pass {geom.index} would be {width}x{height}, more than --max-pixels "
                f"{run.max_pixels} allows"
            )
    exts = extensions(source, run, plan, found.mode, found.format)
    chosen = file_targets(source, run, plan, wanted, exts)
    for geom in plan:
        path = chosen.get(f"pass {geom.index}")
        if path is not None:
            height, width = geom.output_shape
            check_side(path, format_for(path, run.save.format), width, height)
    return plan, chosen


def written_passes(
    run: RunOptions, shape: tuple[int, int], frames: int = 1
) -> tuple[list[PassGeometry], set[int]]:
    """The passes of a run on an image of ``shape`` (rows, cols) and ``frames`` frames, and
    which are written. Pooled across frames (``-k WxHxD``), every pass must have frames for a
    window too, as it must have pixels; with ``-n all`` the passes stop where either runs out.
    """
    spec = run.spec
    plan = plan_for(spec, shape)
    if spec.pools_frames:
        from poolcli.core.frames import frames_after

        plan = plan[: len(frames_after(frames, spec, plan))]
    last = len(plan)
    wanted = {last} if run.final_only or run.output_kind == "stdout" else set(range(1, last + 1))
    if run.output_kind == "file" and len(wanted) > 1:
        raise ParameterError(
            f"-o {run.output} names one file, but this run writes {len(wanted)} images; "
            "give a folder, or add --final-only"
        )
    return plan, wanted


STRETCHED = "_stretched"  # how a --stretch pass's name says it is not the values themselves


def target(
    source: Source, run: RunOptions, ext: str, geom: PassGeometry, passes: int, suffix: str = ""
) -> str:
    """Where pass ``geom`` of ``passes`` is written."""
    if run.output_kind == "stdout":
        return "-"
    height, width = geom.output_shape
    size = (width, height)
    return output_name(source, run, ext, geom.index, size, suffix=suffix, passes=passes)


def all_written(source: Source, run: RunOptions) -> bool:
    """With --no-clobber: whether every output (its sheet included) already exists, judged
    from the header alone."""
    from poolcli.io.reading import probe

    width, height, frames = probe(source.path, source.size)
    plan, wanted = written_passes(run, (height, width), frames)
    ext = extensions(source, run, plan, "RGB")  # the mode is in the pixels; 8-bit is usual
    chosen = file_targets(source, run, plan, wanted, ext)
    return all(storage.exists(path) for path in chosen.values())


def extensions(
    source: Source, run: RunOptions, plan: list[PassGeometry], mode: str, fmt: str | None = None
) -> Callable[[PassGeometry], str]:
    """The extension of each pass's file: the input's (or --format's), except for sums and Lp
    norms without --format, whose passes are 16-bit PNG while their values fit, then TIFF."""
    plain = extension(source, run, fmt)
    if run.save.format or run.spec.mode not in DEEP_MODES:
        return lambda geom: plain
    if run.stretch:  # scaled to 16 bits: PNG holds every pass
        return lambda geom: "png"
    return lambda geom: extension_for(deep_format(run.spec, plan, geom.index, mode))


def frame_plans(
    run: RunOptions, plan: list[PassGeometry], frames: list[np.ndarray]
) -> list[list[PassGeometry]]:
    """The plan of each frame: the first frame's, and for frames of other sizes (the pages of
    a TIFF may differ) as many passes placed on their own size.

    Raises
    ------
    ParameterError
        If a frame is too small for the passes the first one takes.
    """
    plans = [plan]
    for number, frame in enumerate(frames[1:], start=2):
        shape = frame.shape[1:]
        if shape == frames[0].shape[1:]:
            plans.append(plan)
            continue
        try:
            plans.append(plan_for(replace(run.spec, passes=len(plan)), shape))
        except PlanError as exc:
            raise ParameterError(f"frame {number} ({wxh(*shape)}): {exc}") from None
    return plans


def file_targets(
    source: Source,
    run: RunOptions,
    plan: list[PassGeometry],
    wanted: set[int],
    ext: Callable[[PassGeometry], str],
) -> dict[str, str]:
    """Where each written pass (and the input's own sheet) goes, by what it is; refused if two
    would write one path."""
    chosen = {
        f"pass {g.index}": target(source, run, ext(g), g, len(plan), STRETCHED * run.stretch)
        for g in plan
        if g.index in wanted and not run.sheet_only
    }
    if run.indexed and run.output_kind != "stdout" and not run.sheet_only:
        suffix = "_winners" if run.winners else "_unpool"
        for g in plan:
            if g.index in wanted:
                chosen[f"pass {g.index} unpooled"] = target(
                    source, run, ext(g), g, len(plan), suffix
                )
    if run.sheet is not None and not run.shared_sheet:
        chosen["the contact sheet"] = sheet_path(source, run)
    check_distinct(chosen)
    return chosen
