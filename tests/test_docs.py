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


def test_the_option_reference_is_the_commands_own() -> None:
    from poolcli.cli.reference import PAGE, START, with_options

    page = (ROOT / PAGE).read_text()
    assert START in page
    assert page == with_options(page), "run: python -m poolcli.cli.reference"
    for flag in ("--dry-run", "--strip", "--keep-metadata all\\|icc\\|none", "--power P"):
        assert flag in page
    # the command the message names finds the page (it is up to date: nothing changes)
    import subprocess
    import sys

    made = subprocess.run(
        [sys.executable, "-m", "poolcli.cli.reference"], check=False, capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    assert (ROOT / PAGE).read_text() == page


def test_the_readme_is_a_first_screen_and_links_every_page() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 150
    for page in ("usage", "frameworks", "distributed", "reliability", "speed", "architecture"):
        assert f"(docs/{page}.md)" in readme, page
        assert (ROOT / "docs" / f"{page}.md").exists()
    for link in re.findall(
        r"\]\(([^)#]+)\)",
        "".join(
            (ROOT / "docs" / p).read_text() for p in ("usage.md", "speed.md", "distributed.md")
        ),
    ):
        if not link.startswith("http"):
            assert (ROOT / "docs" / link).exists(), link
