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


ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
MODULES = sorted(
    p.stem for p in (ROOT / "poolcli").glob("*.py") if p.stem not in ("__init__", "__main__")
)


def test_every_module_has_a_place_in_the_layer_contract_and_the_map() -> None:
    # import-linter checks only the modules its layers name: a new one must be given a layer,
    # and docs/architecture.md must say what it holds
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in config["contracts"] if c["type"] == "layers"]
    placed = [name.strip() for layer in layers for name in layer.split(":")]
    assert sorted(placed) == sorted([*MODULES, "__main__"])
    architecture = (ROOT / "docs" / "architecture.md").read_text()
    assert [m for m in MODULES if f"{m}.py" not in architecture] == []


def test_the_layer_contract_holds_and_would_catch_an_upward_import(tmp_path) -> None:
    # the contract itself, run as CI runs it, on the package and on a copy with one upward
    # import added (a drawing module importing a run's naming), which it must refuse
    import shutil

    lint = shutil.which("lint-imports")
    if lint is None:
        pytest.skip("import-linter is not installed (the test extra brings it)")
    kept = subprocess.run([lint], cwd=ROOT, capture_output=True, text=True, check=False)
    assert kept.returncode == 0, kept.stdout[-2000:]
    copy = tmp_path / "copy"
    shutil.copytree(ROOT / "poolcli", copy / "poolcli")
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    sheet = copy / "poolcli" / "sheet.py"
    sheet.write_text(sheet.read_text() + "\nfrom .naming import check_template  # upward\n")
    env = {**__import__("os").environ, "PYTHONPATH": str(copy)}
    broken = subprocess.run([lint], cwd=copy, env=env, capture_output=True, text=True, check=False)
    assert broken.returncode != 0
    assert "poolcli.sheet is not allowed to import poolcli.naming" in broken.stdout
