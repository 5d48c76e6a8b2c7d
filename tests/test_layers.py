"""The layers of docs/architecture.md, as far as imports show them: what ruff's banned-api rule
cannot see is what each entry point loads when it starts."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = ("numpy", "PIL", "typer", "rich", "click")


def loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_the_command_line_starts_without_numpy_pillow_or_rich() -> None:
    assert loaded_after("import poolcli.cli") == {"typer"}


@pytest.mark.parametrize(
    "module",
    [
        "limits",
        "errors",
        "style",
        "formats",
        "naming",
        "inputs",
        "report",
        "run_options",
        "options",
        "atomic",
        "depth",
        "cli_help",
    ],
)
def test_the_planning_modules_are_stdlib_only(module: str) -> None:
    assert loaded_after(f"import poolcli.{module}") == set()


@pytest.mark.parametrize(
    "module",
    [
        "workers",
        "pipeline",
        "targets",
        "geometry",
        "axes",
        "pooling",
        "colour",
        "kernels",
        "powers",
        "stochastic",
        "winners",
        "deep",
    ],
)
def test_the_batch_and_core_modules_import_no_pillow(module: str) -> None:
    assert "PIL" not in loaded_after(f"import poolcli.{module}")
