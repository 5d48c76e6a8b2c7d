"""The ``poolimg`` command (a stub until the CLI lands)."""

from __future__ import annotations

import sys


def main() -> None:
    """Entry point of ``poolimg``."""
    print("poolimg: the command line is not built yet; use poolcli.pool() from Python.")
    sys.exit(0)
