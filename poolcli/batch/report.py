"""What a run reports: a :class:`Result` per input, written :class:`Output` files, and the
:class:`Report` whose counts make the exit code. Stdlib only."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for a program a closed pipe stopped


@dataclass(slots=True)
class Output:
    path: str
    width: int
    height: int
    pass_: int  # 0 for a contact sheet
    bytes: int
    kind: Literal["pass", "sheet", "unpool", "winners", "page"] = "pass"

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["pass"] = data.pop("pass_")
        return data


@dataclass(slots=True)
class Result:
    """What happened to one input."""

    input: str
    status: Literal["done", "failed", "skipped", "interrupted"]
    outputs: list[Output] = field(default_factory=list)
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    reason: str | None = None  # why a skipped input was skipped
    dark: float | None = None  # the largest value of 16-bit passes viewers show dark
    existing: list[str] = field(default_factory=list)  # outputs kept as they were (--no-clobber)
    usage_error: bool = False  # a plan that cannot work, rather than a bad file
    unreachable: bool = False  # storage failed every retry: its service may be down
    internal: str | None = None  # the traceback of a bug in poolcli, for -v
    # The output being written (a Ctrl-C may land after its rename, before it is listed) and
    # the inode its path had before: a different one afterwards means the file is ours.
    writing: tuple[Output, int | None] | None = None
    values: dict[str, list[float]] | None = None  # --global: channel values by mode
    channels: str | None = None
    seconds: float = 0.0
    dry_run: bool = False  # outputs are what it would write (--dry-run)
    timings: dict[str, float] = field(default_factory=dict)  # seconds by stage: decode, pool, ...
    sheet_row: list[tuple[Any, str]] | None = None  # (RGB array, label) cells, shared sheets
    sheet_detail: list[tuple[Any, str]] | None = None  # ... and the row of its detail
    preview: Any = None  # --show: the sheet to draw in the terminal (a Pillow image)
    page: str | None = None  # --html of one input: its explorer page
    page_sheet: bytes | None = None  # --html of several: its sheet (JPEG) for the gallery

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "input": self.input,
            "status": self.status,
            "outputs": [o.as_json() for o in self.outputs],
            "error": self.error,
        }
        if self.dry_run:
            data["dry_run"] = True
        if self.reason:
            data["reason"] = self.reason
        if self.existing:
            data["existing"] = self.existing
        if self.warnings:
            data["warnings"] = self.warnings
        if self.timings:
            data["ms"] = {stage: round(1000 * s, 1) for stage, s in self.timings.items()}
        if self.values is not None:
            data["channels"] = self.channels
            data["global"] = self.values
        return data


@dataclass(slots=True)
class Report:
    """Counts of a run and the exit code they make.

    ``results`` holds every input's result, unless ``keep_results`` is off (the command line,
    which shows each as it comes: a million results would be the client's largest memory);
    then only the first, and those that carry a row of the run's shared sheet.
    """

    total: int = 0  # inputs of the run
    count: int = 0  # results added
    done: int = 0
    failed: int = 0
    skipped: int = 0
    usage_errors: int = 0
    written: int = 0
    kinds: dict[str, int] = field(default_factory=dict)  # files written, by Output.kind
    existing: int = 0  # outputs kept as they were (--no-clobber)
    dark: float | None = None  # the largest value of the 16-bit passes viewers show dark
    interrupted: bool = False
    stopped: str | None = None  # why the run stopped before its end (storage down)
    started: float = field(default_factory=time.monotonic)
    results: list[Result] = field(default_factory=list)
    sheet: Output | None = None  # the one sheet of several inputs
    sheet_error: str | None = None
    page: Output | None = None  # --html: the page written
    page_gallery: bool = False  # ... a gallery of sheets, not one input's explorer
    failures: list[tuple[str, str]] = field(default_factory=list)  # (input, error), in order
    page_error: str | None = None
    keep_results: bool = True

    def add(self, result: Result) -> None:
        self.count += 1
        # what the run draws from every input at the end: its sheet row, page, gallery sheet
        drawn = (result.sheet_row, result.page, result.page_sheet)
        if self.keep_results or self.count == 1 or any(d is not None for d in drawn):
            self.results.append(result)
        if result.status == "failed":
            self.failed += 1
            self.failures.append((result.input, result.error or "failed"))
            self.usage_errors += result.usage_error
        elif result.status == "skipped":
            self.skipped += 1
        elif result.status == "done":
            self.done += 1
        self.written += len(result.outputs)
        for output in result.outputs:
            self.kinds[output.kind] = self.kinds.get(output.kind, 0) + 1
        self.existing += len(result.existing)
        if result.dark is not None:
            self.dark = max(self.dark or 0.0, result.dark)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.stopped:
            return EXIT_FAILED
        if self.failed and self.failed == self.usage_errors == self.count:
            return EXIT_USAGE  # nothing could run: the plan, not the files, is wrong
        return EXIT_FAILED if self.failed or self.sheet_error or self.page_error else EXIT_OK
