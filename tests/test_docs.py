"""docs/notebook.md's examples run, in order, from the repository's root, as a reader would."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent


def test_notebook_page_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (ROOT / "docs" / "notebook.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) >= 4
    monkeypatch.chdir(ROOT)
    names: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "docs/notebook.md", "exec"), names)
    for picture in ("seed_sheet", "grid", "by_size", "kept", "sheet"):
        assert isinstance(names[picture], Image.Image), picture
    seed_sheet = names["seed_sheet"]
    assert isinstance(seed_sheet, Image.Image) and seed_sheet.width > 3 * 128


def test_readme_option_table_is_the_commands_own() -> None:
    from poolcli.cli_format import README_START, readme_with_options

    readme = (ROOT / "README.md").read_text()
    assert README_START in readme
    assert readme == readme_with_options(readme), "run: python -m poolcli.cli_format"
    for flag in ("--dry-run", "--strip", "--keep-metadata all\\|icc\\|none", "--power P"):
        assert flag in readme
