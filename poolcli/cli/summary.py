"""The summary line of a run, and what comes with it: where the files went, by kind
("wrote 3 images and 3 unpooled pictures to out/"), what failed, was skipped or was not tried,
a dry run's count, and the one-time notes (dark 16-bit passes, the shared sheet)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from poolcli.batch.report import Output, Report
    from poolcli.batch.run_options import RunOptions
    from poolcli.cli.terminal import Terminal


def summarise(term: Terminal, run: RunOptions, report: Report, skipped_files: int) -> None:
    if report.sheet_error:
        term.error(report.sheet_error)
    if report.sheet is not None:
        if term.json_lines:
            term.data(
                {
                    "input": None,
                    "status": "done",
                    "outputs": [report.sheet.as_json()],
                    "error": None,
                }
            )
        _said_sheet(term, report.sheet)
    if report.page_error:
        term.error(report.page_error)
    if report.page is not None:
        if term.json_lines:
            outputs = [report.page.as_json()]
            term.data({"input": None, "status": "done", "outputs": outputs, "error": None})
        if report.page.path != "-":
            what = "gallery" if report.page_gallery else "explorer page"
            term.info(f"wrote {what} {report.page.path} ({report.page.bytes / 1e6:.1f} MB)")
    if report.stopped:
        term.error(report.stopped)
    if report.dark is not None and not run.dry_run:
        term.warn(
            f"values up to {report.dark:g} of 65535: viewers show these 16-bit PNGs dark; "
            "--stretch scales each pass to the full range (the values are kept as they are)"
        )
    if report.interrupted:
        term.error(
            f"interrupted after {report.done} of {report.total} inputs; "
            "complete files kept, no partial file left"
        )
        return
    if not run.write_images or run.output_kind == "stdout":
        return
    if run.dry_run:
        files = report.written
        if run.sheet not in (None, "auto") and report.total > 1:
            if not term.json_lines:
                term.text(f"{run.sheet} (one contact sheet of every input)")
            files += 1
        said = [f"{_count(files, 'file')} would be written"]
        if report.existing:
            said.append(f"{report.existing} kept as they are (--no-clobber)")
        if report.failed:
            said.append(f"{_count(report.failed, 'input')} would fail")
        if skipped_files:
            said.append(f"{_count(skipped_files, 'file')} skipped")
        term.info(f"dry run: {', '.join(said)}; nothing written")
        return
    where = run.output if run.output_kind == "file" else f"{run.folder}{os.sep}"
    if isinstance(run.writes_to, str):  # a URL
        where = run.writes_to.rstrip("/") + "/"
    kinds = {k: n for k, n in report.kinds.items() if k != "sheet" or report.count > 1}
    written = _files_by_kind(kinds)
    if report.count == 1 and not skipped_files:
        if report.failed:  # the failure has said so already
            return
        if kinds:
            term.info(f"wrote {written} to {where}")
        elif report.skipped:
            term.info(f"wrote nothing: {report.results[0].reason}")
        for sheet in (o for o in report.results[0].outputs if o.kind == "sheet"):
            _said_sheet(term, sheet)
        return
    parts = [f"{report.done} done"]
    if report.failed:
        parts.append(f"{report.failed} failed")
    if report.skipped or skipped_files:
        parts.append(f"{report.skipped + skipped_files} skipped")
    if report.stopped:
        parts.append(f"{report.total - report.count} not tried")
    term.info(f"{', '.join(parts)}; wrote {written} to {where} in {report.seconds:.1f} s")


def _count(number: int, noun: str) -> str:
    """``number`` of ``noun``, plural as it needs.

    >>> _count(1, "file"), _count(3, "input")
    ('1 file', '3 inputs')
    """
    return f"{number} {noun}{'' if number == 1 else 's'}"


# What each kind of output is called in the summary.
_KIND_NOUNS = {"pass": "image", "unpool": "unpooled picture", "winners": "winners map"}


def _files_by_kind(kinds: dict[str, int]) -> str:
    """The files a run wrote, by kind: '3 images', '3 images and 3 unpooled pictures'.

    >>> _files_by_kind({"pass": 3, "unpool": 3}), _files_by_kind({})
    ('3 images and 3 unpooled pictures', '0 images')
    """
    said = [_count(n, _KIND_NOUNS.get(k, "contact sheet")) for k, n in kinds.items() if n]
    if len(said) > 1:
        return ", ".join(said[:-1]) + " and " + said[-1]
    return said[0] if said else "0 images"


def _said_sheet(term: Terminal, sheet: Output) -> None:
    term.info(f"wrote contact sheet {sheet.path} ({sheet.width}x{sheet.height})")
