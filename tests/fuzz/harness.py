"""Run mutants through the library and the command line, and say what broke a promise.

Holds when: no traceback and no internal error; no hang (a time bound per file); exit codes
0, 1 or 2; one JSON line per input and a summary line; poolimg's own one-line messages only on
stderr; no file outside the output folder, none there that the JSON does not list, no temporary
file left; inputs unchanged; peak memory under 1 GiB.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .mutate import mutate
from .seeds import seeds

PEAK_LIMIT_MIB = 1024
SECONDS_PER_FILE = 10
_OWN_LINE = re.compile(r"poolimg: (error|warning): |wrote |would write |dry run: |\d+ done")


@dataclass
class Finding:
    kind: str  # crash, hang, memory, exit, output, stderr, input
    mutant: str
    detail: str


@dataclass
class Summary:
    mutants: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    peak_mib: float = 0.0
    slowest: float = 0.0
    cli_runs: int = 0

    def line(self) -> str:
        outcomes = ", ".join(f"{n} {k}" for k, n in sorted(self.outcomes.items()))
        return (
            f"{self.mutants} mutants ({outcomes}); {self.cli_runs} poolimg runs; "
            f"{len(self.findings)} findings; peak {self.peak_mib:.0f} MiB; "
            f"slowest file {self.slowest:.2f} s"
        )


def write_mutants(
    folder: Path, seed: int, start: int, count: int, structured: bool = False
) -> list[Path]:
    """Mutants ``start`` to ``start + count`` of the campaign, spread over every seed file,
    each named after its seed so its extension says what it was."""
    folder.mkdir(parents=True, exist_ok=True)
    originals = seeds()
    names = sorted(originals)
    paths = []
    for index in range(start, start + count):
        name = names[index % len(names)]
        path = folder / f"m{index:06d}_{name}"
        path.write_bytes(mutate(originals[name], name, seed, index, structured))
        paths.append(path)
    return paths


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _peak_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _library_case(path: str, out: str) -> tuple[str, str | None, float, float]:
    """One mutant through ``probe`` and ``run_one`` (load, two passes, written in its own
    format as the command line does), in a worker."""
    from poolcli import InputError, PoolSpec
    from poolcli.batch.inputs import Source
    from poolcli.batch.pipeline import run_one
    from poolcli.batch.run_options import RunOptions
    from poolcli.io.reading import probe

    with open("/proc/self/clear_refs", "w") as refs:  # measure this case's peak alone
        refs.write("5")
    started = time.monotonic()
    try:
        probe(path)
    except InputError:
        pass
    except Exception as exc:
        return "crash", f"probe: {type(exc).__name__}: {exc}", 0.0, _peak_mib()
    # Modes in turn: averages (alpha, 16-bit), sums written deep (16-bit PNG, 32-bit TIFF),
    # max followed back to the input (--unpool), and the anti-aliased max's blur.
    spec = [
        PoolSpec("avg", 2, passes=2),
        PoolSpec("sum", 2, passes=2),
        PoolSpec("max", 2, passes=2),
        PoolSpec("maxblurpool", 2, passes=2, blur=4),
    ]
    turn = sum(map(ord, Path(path).name)) % len(spec)
    run = RunOptions(spec[turn], output=out, unpool="dim" if turn == 2 else None)
    result = run_one(Source(path, Path(Path(path).name)), run, threads=1)
    seconds = time.monotonic() - started
    if result.internal:
        return "crash", f"{result.error}\n{result.internal}", seconds, _peak_mib()
    return result.status, result.error, seconds, _peak_mib()


def fuzz_library(mutants: list[Path], summary: Summary, jobs: int = 2) -> None:
    """Every mutant through the library in worker processes, each bounded in time."""
    out = Path(tempfile.mkdtemp(prefix="poolimg-fuzz-out-"))
    # Not forked from this process: a worker's peak would start at this process's size (a
    # test session that imported PyTorch or JAX is a gigabyte), not at its own.
    context = multiprocessing.get_context("forkserver")
    pool = context.Pool(jobs)
    try:
        for path in mutants:
            before = _digest(path)
            pending = pool.apply_async(_library_case, (str(path), str(out)))
            try:
                status, detail, seconds, peak = pending.get(SECONDS_PER_FILE * 3)
            except multiprocessing.TimeoutError:
                summary.findings.append(Finding("hang", str(path), "library: no answer"))
                pool.terminate()
                pool = context.Pool(jobs)
                continue
            summary.mutants += 1
            summary.outcomes[status] += 1
            summary.peak_mib = max(summary.peak_mib, peak)
            summary.slowest = max(summary.slowest, seconds)
            if status == "crash":
                summary.findings.append(Finding("crash", str(path), detail or ""))
            if seconds > SECONDS_PER_FILE:
                summary.findings.append(Finding("hang", str(path), f"library: {seconds:.1f} s"))
            if peak > PEAK_LIMIT_MIB:
                summary.findings.append(Finding("memory", str(path), f"library: {peak:.0f} MiB"))
            if _digest(path) != before:
                summary.findings.append(Finding("input", str(path), "the input changed"))
            leftovers = [p.name for p in out.iterdir() if p.name.endswith(".part")]
            if leftovers:
                summary.findings.append(Finding("output", str(path), f"left {leftovers}"))
            for written in out.iterdir():
                written.unlink()
    finally:
        pool.terminate()
        shutil.rmtree(out, ignore_errors=True)


def _poolimg(args: list[str], cwd: Path, timeout: float, stdin: bytes | None = None):
    """Run poolimg in a fresh process; (exit code or None on timeout, stdout, stderr, peak)."""
    code = (
        "import resource, sys\n"
        "from poolcli.cli.app import main\n"
        "try:\n    main()\n"
        "finally:\n"
        # VmHWM, not ru_maxrss: this process's ru_maxrss starts at the size of the process it
        # was forked from (a test session is a gigabyte with PyTorch or JAX imported); the
        # workers it forks start from this one's.
        "    own = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
        "    peak = max(int(own), resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "    sys.stderr.write(f'\\n@peak {peak}\\n')\n"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", code, *args],
            cwd=cwd,
            input=stdin,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None, b"", b"", 0.0
    stderr, _, peak = done.stderr.rpartition(b"\n@peak ")
    return done.returncode, done.stdout, stderr.rstrip(b"\n"), int(peak or 0) / 1024


def _check_stderr(stderr: bytes, mutant: str, summary: Summary) -> None:
    text = stderr.decode(errors="replace")
    if "Traceback" in text or ".py" in text or "internal error" in text:
        summary.findings.append(Finding("crash", mutant, text[-2000:]))
        return
    for line in text.splitlines():
        if line and not _OWN_LINE.match(line):
            summary.findings.append(Finding("stderr", mutant, line))
            return


def fuzz_cli_batch(mutants: list[Path], summary: Summary, jobs: int = 2) -> None:
    """The mutants as one folder through ``poolimg max DIR -j 2 --json``, and again pooled in
    bands (``--in-bands``, the bomb check allowed: what a lying header claims reaches the band
    reader) and across frames (``-k 2x2x2``), then a few through the other commands and
    standard input."""
    work = mutants[0].parent
    before = {p: _digest(p) for p in mutants}
    _batch(["max", "-n", "2", "--sheet"], mutants, summary, jobs)
    _batch(["avg", "-n", "2", "--in-bands", "--max-pixels", "0"], mutants, summary, jobs)
    # frames pooled together: a stack's pages, an animation's frames (one frame: refused)
    _batch(["avg", "-k", "2x2x2", "-s", "2x2x1", "-n", "2", "--sheet"], mutants, summary, jobs)
    for path, digest in before.items():
        if _digest(path) != digest:
            summary.findings.append(Finding("input", str(path), "the input changed"))
    out = work.parent / f"{work.name}-out"
    for command in (
        ["plan"],
        ["compare", "-n", "2", "--modes", "max,sum,lp,stochastic", "--unpool", "dim"],
        # anti-aliased pooling: its grid with the shifted input, mirrored borders, in bands
        ["compare", "-n", "2", "--modes", "max,maxblurpool,blurpool", "--shift", "1"],
        ["maxblurpool", "-n", "2", "--blur", "5", "--reflect", "--sheet"],
        ["blurpool", "-n", "2", "--in-bands", "--max-pixels", "0"],
        ["avg", "--global", "--json"],
        ["sum", "-n", "3", "--sheet"],
        ["avg", "--to", "7x5", "--sheet"],  # one pass to a size (adaptive)
        ["mode", "-n", "2", "--sheet"],  # the most frequent pixel, channels together
        ["mode", "--to", "9x4", "--ignore", "0"],  # a palette kept; nodata left out
        # across frames into TIFF, written a page at a time as the frames are decoded
        ["mode", "-k", "2x2x2", "-s", "2x2x1", "-n", "2", "-f", "tiff", "--sheet"],
        ["sum", "-k", "2x2x2", "-n", "2"],  # 32-bit TIFF pages as they come
        ["avg", "-k", "3", "--ignore", "nan", "--sheet", "--crop", "1,1,4,3"],
        ["median", "-k", "3", "-s", "2", "-p", "same"],
        ["stochastic", "--seed", "1", "--winners", "--sheet"],
        ["explore", "-m", "avg", "-k", "3", "-p", "same", "-n", "2"],  # the HTML explorer
        # headers only; metadata dropped; a sheet drawn in the terminal, nothing written
        ["avg", "-n", "2", "--dry-run", "--strip", "--json"],
        ["max", "-n", "2", "--sheet-only", "--show", "sixel", "--keep-metadata", "none"],
        ["show", "--show", "blocks"],
        # in bands within 48 MiB, what a header claims allowed: a liar fails at its rows
        ["median", "-k", "3", "-s", "2", "--max-memory", "48M", "--max-pixels", "0"],
    ):
        for path in mutants[: 3 if command[0] != "compare" else 2]:
            _single([*command, str(path)], None, str(path), work.parent, summary)
    for path in mutants[:3]:
        _single(
            ["min", "-", "-o", "-", "--format", "png"],
            path.read_bytes(),
            str(path),
            work.parent,
            summary,
        )
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(work.parent / "poolimg-out", ignore_errors=True)


def _batch(command: list[str], mutants: list[Path], summary: Summary, jobs: int) -> None:
    """The mutants' folder through one pooling command, ``-j jobs --json``: exit code, memory,
    stderr, the summary line and every output listed and inside the output folder."""
    work = mutants[0].parent
    out = work.parent / f"{work.name}-out"
    shutil.rmtree(out, ignore_errors=True)
    timeout = 30 + SECONDS_PER_FILE * len(mutants) / jobs
    args = [command[0], str(work), "-j", str(jobs), "--json", "-o", str(out), *command[1:]]
    code, stdout, stderr, peak = _poolimg(args, work.parent, timeout)
    summary.cli_runs += 1
    where = f"batch {work} ({' '.join(command)})"
    if code is None:
        summary.findings.append(Finding("hang", where, f"no exit within {timeout:.0f} s"))
        return
    summary.peak_mib = max(summary.peak_mib, peak)
    if peak > PEAK_LIMIT_MIB:
        summary.findings.append(Finding("memory", where, f"{peak:.0f} MiB"))
    if code not in (0, 1, 2):
        summary.findings.append(Finding("exit", where, f"exit {code}"))
    _check_stderr(stderr, where, summary)
    if not re.search(rb"^\d+ done", stderr, re.MULTILINE):
        summary.findings.append(Finding("output", where, "no summary line"))
    _check_json(stdout, mutants, out, where, summary)
    shutil.rmtree(out, ignore_errors=True)


def _single(args: list[str], stdin: bytes | None, mutant: str, cwd: Path, summary: Summary) -> None:
    code, _, stderr, peak = _poolimg(args, cwd, 30 + SECONDS_PER_FILE, stdin)
    summary.cli_runs += 1
    where = f"{mutant} ({' '.join(args[:1])})"
    if code is None:
        summary.findings.append(Finding("hang", where, "no exit"))
        return
    summary.peak_mib = max(summary.peak_mib, peak)
    if code not in (0, 1, 2):
        summary.findings.append(Finding("exit", where, f"exit {code}"))
    _check_stderr(stderr, where, summary)


def _check_json(
    stdout: bytes, mutants: list[Path], out: Path, where: str, summary: Summary
) -> None:
    try:
        lines = [json.loads(line) for line in stdout.splitlines()]
    except json.JSONDecodeError as exc:
        summary.findings.append(Finding("output", where, f"stdout is not JSON lines: {exc}"))
        return
    inputs = [line["input"] for line in lines if line["input"] is not None]
    if sorted(inputs) != sorted(str(p) for p in mutants):
        summary.findings.append(
            Finding("output", where, f"{len(inputs)} JSON lines, not {len(mutants)}")
        )
    listed = {os.path.realpath(o["path"]) for line in lines for o in line["outputs"]}
    on_disk = (
        {os.path.realpath(p) for p in out.rglob("*") if p.is_file()} if out.exists() else set()
    )
    if on_disk - listed:
        summary.findings.append(
            Finding("output", where, f"unlisted files: {sorted(on_disk - listed)[:3]}")
        )
    if any(not path.startswith(os.path.realpath(out) + os.sep) for path in listed):
        summary.findings.append(Finding("output", where, "an output outside the output folder"))
    for line in lines:
        if line["status"] not in ("done", "failed", "skipped"):
            summary.findings.append(Finding("output", where, f"status {line['status']}"))


def campaign(
    mutants: int,
    seed: int = 0,
    batch: int = 50,
    jobs: int = 2,
    keep: Path | None = None,
    structured: bool = False,
) -> Summary:
    """Run ``mutants`` mutants through the library, and the same mutants in batches of
    ``batch`` through the command line; copy those with findings to ``keep``. ``structured``:
    structure-aware mutants (:mod:`tests.fuzz.structure`) rather than blind ones."""
    summary = Summary()
    root = Path(tempfile.mkdtemp(prefix="poolimg-fuzz-"))
    try:
        for start in range(0, mutants, batch):
            folder = root / f"batch{start:06d}"
            paths = write_mutants(folder, seed, start, min(batch, mutants - start), structured)
            found = len(summary.findings)
            fuzz_library(paths, summary, jobs)
            fuzz_cli_batch(paths, summary, jobs)
            if keep is not None and len(summary.findings) > found:
                shutil.copytree(folder, keep / folder.name, dirs_exist_ok=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return summary
