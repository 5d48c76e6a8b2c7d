"""What a run writes from all its inputs together, once they are done: the one contact sheet
of several inputs (``--sheet PATH``, a row each in input order) and the ``--html`` page (one
input's explorer, or a gallery of every input's sheet and of the failures)."""

from __future__ import annotations

from collections.abc import Sequence

from poolcli.batch.inputs import Source
from poolcli.batch.report import Output, Report
from poolcli.batch.run_options import RunOptions
from poolcli.errors import PoolError
from poolcli.remote import storage


def page(sources: Sequence[Source], run: RunOptions, report: Report) -> None:
    """Write ``--html``: the explorer page of the one input, or the gallery of every input's
    sheet (in input order) and of the failures."""
    from poolcli.io import writing
    from poolcli.pictures.gallery import gallery
    from poolcli.pictures.sheet import describe

    path = run.html or ""
    if run.html_gallery:
        by_input = {r.input: r for r in report.results if r.page_sheet is not None}
        sheets = [
            (source.shown, result.page_sheet)
            for source in sources
            if (result := by_input.get(source.path)) is not None and result.page_sheet is not None
        ]
        text = gallery(f"{len(sources)} inputs", describe(run.spec), sheets, report.failures)
    else:
        pages = [r.page for r in report.results if r.page is not None]
        if not pages:
            return  # the input failed: its error is said, there is no page to write
        text = pages[0]
    try:
        writing.save_text(text, path, protect=[s.path for s in sources if s.path != "-"])
    except PoolError as exc:
        report.page_error = str(exc)
        return
    written = storage.size(path) if path != "-" else len(text.encode())
    report.page = Output(path, 0, 0, 0, written, "page")
    report.page_gallery = run.html_gallery
    report.written += 1


def shared_sheet(sources: Sequence[Source], run: RunOptions, report: Report) -> None:
    """Draw the one sheet of several inputs, a row each in input order, from their rows."""
    from poolcli.io import writing
    from poolcli.pictures import sheet

    by_input = {r.input: r for r in report.results if r.sheet_row}
    rows, labels = [], []
    for source in sources:
        result = by_input.get(source.path)
        if result is None or result.sheet_row is None:
            continue
        rows.append([sheet.Cell.from_array(a, label) for a, label in result.sheet_row])
        labels.append(storage.name_of(source.path) if source.path != "-" else "<stdin>")
        if result.sheet_detail:
            rows.append([sheet.Cell.from_array(a, label) for a, label in result.sheet_detail])
            labels.append("")
    if not rows:
        return
    path = run.sheet or ""
    if run.no_clobber and storage.exists(path):  # kept, as the passes are
        report.existing += 1
        return
    canvas = sheet.grid(rows, run.sheet_style, title=sheet.describe(run.spec), row_labels=labels)
    try:
        writing.save_image(
            canvas, path, run.save, protect=[s.path for s in sources if s.path != "-"]
        )
        written = storage.size(path)
    except PoolError as exc:
        report.sheet_error = str(exc)
        return
    report.sheet = Output(path, canvas.width, canvas.height, 0, written, "sheet")
    report.written += 1
