"""--dry-run: each input's files listed from its header, what --no-clobber would skip said,
the same failures and exit codes as a real run, and nothing written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .helpers import run


@pytest.fixture
def work(tmp_path: Path, samples: Path, monkeypatch) -> Path:
    (tmp_path / "shots").mkdir()
    for name in ("astronaut.png", "rocket.jpg"):
        shutil.copy(samples / name, tmp_path / "shots" / name)
    (tmp_path / "shots" / "notes.png").write_text("not an image")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_lists_every_file_a_run_would_write_and_writes_nothing(work: Path) -> None:
    before = tree(work)
    result = run("max", "shots", "-n", "2", "--sheet", "--dry-run")
    assert tree(work) == before  # not even the output folder
    assert result.exit_code == 1  # notes.png fails, as it would in a real run
    # the listing is the command's output, on stdout (| wc -l counts it); the rest on stderr
    lines = result.stdout.splitlines()
    assert "poolimg-out/astronaut_max_k2_s2_p1.png (256x256)" in lines
    assert "poolimg-out/astronaut_max_k2_s2_p2.png (128x128)" in lines
    assert "poolimg-out/rocket_max_k2_s2_p2.jpg (160x106)" in lines
    assert "poolimg-out/rocket_max_k2_s2_sheet.png" in lines
    assert len(lines) == 6
    said = result.stderr.splitlines()
    assert any("notes.png" in line and line.startswith("poolimg: error:") for line in said)
    assert said[-1] == "dry run: 6 files would be written, 1 input would fail; nothing written"
    # ... and a real run writes exactly those files
    real = run("max", "shots", "-n", "2", "--sheet")
    assert real.exit_code == 1
    written = sorted(p.name for p in (work / "poolimg-out").iterdir())
    planned = sorted(Path(line.split()[0]).name for line in lines)
    assert written == planned


def test_json_lines_and_no_clobber(work: Path) -> None:
    assert run("avg", "shots/rocket.jpg", "-n", "2").exit_code == 0
    (work / "poolimg-out" / "rocket_avg_k2_s2_p2.jpg").unlink()
    result = run("avg", "shots/rocket.jpg", "-n", "2", "--no-clobber", "--dry-run", "--json")
    assert result.exit_code == 0
    record = json.loads(result.stdout)
    assert record["dry_run"] is True and record["status"] == "done"
    assert [o["path"] for o in record["outputs"]] == ["poolimg-out/rocket_avg_k2_s2_p2.jpg"]
    assert record["outputs"][0]["bytes"] == 0
    assert record["existing"] == ["poolimg-out/rocket_avg_k2_s2_p1.jpg"]
    assert result.stderr.splitlines()[-1] == (
        "dry run: 1 file would be written, 1 kept as they are (--no-clobber); nothing written"
    )
    assert not (work / "poolimg-out" / "rocket_avg_k2_s2_p2.jpg").exists()


def test_plans_that_cannot_work_fail_as_they_would(work: Path) -> None:
    result = run("max", "shots/rocket.jpg", "-k", "500", "--dry-run")
    assert result.exit_code == 2
    assert "rocket.jpg" in result.stderr and result.stdout == ""
    result = run("sum", "shots/astronaut.png", "-n", "5", "--dry-run")  # deep passes: .tif
    assert "poolimg-out/astronaut_sum_k2_s2_p5.tif (16x16)" in result.stdout.splitlines()
