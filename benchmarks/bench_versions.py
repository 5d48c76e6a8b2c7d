"""One code change against the code before it: the command line of two source trees on the same
workloads, runs alternating, medians and their ratio (after / before).

    git worktree add /tmp/before <commit>
    python benchmarks/bench_versions.py --before /tmp/before

Each tree's ``poolcli`` is compiled first (this environment sets PYTHONDONTWRITEBYTECODE, and
an installed package has its bytecode), then run as ``python -m poolcli`` with the tree first
on ``PYTHONPATH``. Workloads: a 24-MP JPEG (3 passes, with and without a sheet) and 40 photos
of 640x427 (-j 1 with JSON lines, -j 2).
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import SAMPLES, photo_24mp, recorded

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="a source tree to compare")
    parser.add_argument("--after", type=Path, default=ROOT, help="default: this checkout")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    for tree in trees.values():
        compileall.compile_dir(tree / "poolcli", quiet=1)
    work = Path(tempfile.mkdtemp(prefix="poolimg-versions-"))
    photo_24mp().save(work / "big.jpg", quality=92)
    (work / "small").mkdir()
    for index in range(40):
        shutil.copy(SAMPLES / "rocket.jpg", work / "small" / f"r{index:02d}.jpg")
    cases = {
        "24-MP JPEG, max -n 3": ["max", work / "big.jpg", "-n", "3"],
        "24-MP JPEG, max -n 3 --sheet": ["max", work / "big.jpg", "-n", "3", "--sheet"],
        "40 photos, -j 1 --json": ["max", work / "small", "-j", "1", "--json"],
        "40 photos, avg -j 2": ["avg", work / "small", "-j", "2"],
    }
    seconds: dict[str, dict[str, list[float]]] = {c: {t: [] for t in trees} for c in cases}
    with recorded("versions"):
        print(f"before: {trees['before']}\nafter:  {trees['after']}")
        for _ in range(args.repeat):
            for case, argv in cases.items():
                for name, tree in trees.items():
                    out = work / f"out-{name}"
                    shutil.rmtree(out, ignore_errors=True)
                    env = {**os.environ, "PYTHONPATH": str(tree)}
                    command = [sys.executable, "-m", "poolcli", *map(str, argv), "-o", f"{out}/"]
                    start = time.perf_counter()
                    subprocess.run(command, env=env, check=True, capture_output=True)
                    seconds[case][name].append(time.perf_counter() - start)
        for case, by in seconds.items():
            before, after = statistics.median(by["before"]), statistics.median(by["after"])
            print(
                f"{case:32s} before {before:6.3f} s  after {after:6.3f} s  "
                f"ratio {after / before:.2f}"
            )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
