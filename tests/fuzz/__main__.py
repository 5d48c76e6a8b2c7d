"""``python -m tests.fuzz --mutants 5000``: a fuzz campaign, its figures, and its findings."""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

from .harness import campaign
from .seeds import seeds


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__)
    parser.add_argument("--mutants", type=int, default=5000, help="how many (default 5000)")
    parser.add_argument("--seed", type=int, default=0, help="campaign number (default 0)")
    parser.add_argument("--batch", type=int, default=50, help="mutants per poolimg batch run")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--structured",
        action="store_true",
        help="structure-aware mutants (PNG chunks, JPEG segments, TIFF tags, GIF and WebP "
        "canvases and frames) rather than blind ones",
    )
    parser.add_argument(
        "--keep", type=Path, default=Path("fuzz-findings"), help="where mutants with findings go"
    )
    args = parser.parse_args()
    started = time.monotonic()
    summary = campaign(
        args.mutants, args.seed, args.batch, args.jobs, args.keep, structured=args.structured
    )
    import PIL

    print(
        f"fuzz campaign {args.seed}{' (structured)' if args.structured else ''}: "
        f"{len(seeds())} seed files; Python {platform.python_version()}, "
        f"Pillow {PIL.__version__}; {time.monotonic() - started:.0f} s"
    )
    print(summary.line())
    for finding in summary.findings:
        print(
            f"{finding.kind}: {finding.mutant}: {finding.detail.splitlines()[0] if finding.detail else ''}"
        )
    if summary.findings:
        print(f"mutants with findings copied to {args.keep}/")
    return 1 if summary.findings else 0


if __name__ == "__main__":
    sys.exit(main())
