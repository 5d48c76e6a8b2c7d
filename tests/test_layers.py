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
    assert loaded_after("import poolcli.cli.app") == {"typer"}


ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "poolcli"
MODULES = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts)
    for p in PACKAGE.rglob("*.py")
    if p.stem != "__init__"
)
SPEC = [m for m in MODULES if m.startswith("poolcli.spec.")]


@pytest.mark.parametrize(
    "module",
    [
        *SPEC,
        "poolcli.errors",
        "poolcli.batch.naming",
        "poolcli.batch.inputs",
        "poolcli.batch.report",
        "poolcli.batch.run_options",
        "poolcli.cli.parsing",
        "poolcli.cli.help_texts",
        "poolcli.io.atomic",
        "poolcli.core.sum_growth",
        "poolcli.batch.draft",
    ],
)
def test_the_planning_modules_are_stdlib_only(module: str) -> None:
    assert loaded_after(f"import {module}") == set()


@pytest.mark.parametrize(
    "module",
    [
        *(m for m in MODULES if m.startswith("poolcli.core.")),
        "poolcli.batch.workers",
        "poolcli.batch.pipeline",
        "poolcli.batch.targets",
        "poolcli.io.deep_encoders",
    ],
)
def test_the_batch_and_core_modules_import_no_pillow(module: str) -> None:
    assert "PIL" not in loaded_after(f"import {module}")


def _contract_layers(container: str) -> list[str]:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    (layers,) = [
        c["layers"]
        for c in config["contracts"]
        if c["type"] == "layers" and c["containers"] == [container]
    ]
    return sorted(name.strip() for layer in layers for name in layer.split(":"))


def _children(folder) -> list[str]:
    return sorted(
        p.stem if p.is_file() else p.name
        for p in folder.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()
    )


def test_every_module_has_a_place_in_the_layer_contracts_and_the_map() -> None:
    # import-linter checks only the modules its layers name: a new subpackage, or a new module
    # of the core or its kernels, must be given a layer (the other subpackages are checked
    # against cycles, which needs no list), and docs/architecture.md must say what each holds
    assert _contract_layers("poolcli") == _children(PACKAGE)
    assert _contract_layers("poolcli.core") == _children(PACKAGE / "core")
    assert _contract_layers("poolcli.core.kernels") == _children(PACKAGE / "core" / "kernels")
    architecture = (ROOT / "docs" / "architecture.md").read_text()
    # the map lists each file under its folder, so its name and its folder must both be there
    unmapped = [
        m
        for m in MODULES
        if f"{m.rsplit('.', 1)[1]}.py" not in architecture
        or any(f"{folder}/" not in architecture for folder in m.split(".")[1:-1])
    ]
    assert unmapped == []


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
    sheet = copy / "poolcli" / "pictures" / "sheet.py"
    sheet.write_text(sheet.read_text() + "\nfrom poolcli.batch.naming import check_template\n")
    env = {**__import__("os").environ, "PYTHONPATH": str(copy)}
    broken = subprocess.run([lint], cwd=copy, env=env, capture_output=True, text=True, check=False)
    assert broken.returncode != 0
    assert "poolcli.pictures is not allowed to import poolcli.batch" in broken.stdout
    assert "poolcli.pictures.sheet -> poolcli.batch.naming" in broken.stdout
