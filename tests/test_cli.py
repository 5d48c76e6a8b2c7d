"""The poolimg command run as a user runs it: real files in, real files out, exit codes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from poolcli import pool

from .helpers import pixels, run, wait_for_output


@pytest.fixture
def work(tmp_path: Path, samples: Path, monkeypatch) -> Path:
    """A working folder holding copies of two sample photos."""
    for name in ("astronaut.png", "rocket.jpg"):
        shutil.copy(samples / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_pass_written_with_names_that_say_what_they_are(work: Path) -> None:
    result = run("max", "astronaut.png", "--size", "2", "--stride", "2", "--passes", "5")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == "wrote 5 images to poolimg-out/\n"
    names = sorted(p.name for p in (work / "poolimg-out").iterdir())
    assert names == [f"astronaut_max_k2_s2_p{i}.png" for i in range(1, 6)]
    expected = pixels(work / "astronaut.png")
    for i in range(1, 6):
        expected = pool(expected, "max")
        np.testing.assert_array_equal(
            pixels(work / f"poolimg-out/astronaut_max_k2_s2_p{i}.png"), expected
        )


def test_final_only_to_a_named_file_with_wxh_geometry(work: Path) -> None:
    result = run("avg", "astronaut.png", "-k", "4x2", "-n", "2", "--final-only", "-o", "small.png")
    assert result.exit_code == 0, result.stderr
    out = pixels(work / "small.png")
    expected = pool(pool(pixels(work / "astronaut.png"), "avg", (2, 4)), "avg", (2, 4))
    assert out.shape == (128, 32, 3)
    np.testing.assert_array_equal(out, expected)
    assert not (work / "poolimg-out").exists()


def test_output_to_stdout_with_a_format(work: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "poolcli",
            "min",
            "astronaut.png",
            "-n",
            "2",
            "-o",
            "-",
            "--format",
            "png",
        ],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (work / "got.png").write_bytes(result.stdout)
    expected = pool(pool(pixels(work / "astronaut.png"), "min"), "min")
    np.testing.assert_array_equal(pixels(work / "got.png"), expected)
    assert result.stderr == b""


def test_name_template_and_format(work: Path) -> None:
    result = run(
        "stride",
        "rocket.jpg",
        "-k",
        "3",
        "--name",
        "{stem}-{pass}-{width}x{height}.{ext}",
        "-f",
        "webp",
    )
    assert result.exit_code == 0, result.stderr
    assert (work / "poolimg-out/rocket-1-213x142.webp").is_file()


def test_plan_prints_sizes_and_edges_and_writes_nothing(work: Path) -> None:
    result = run("plan", "rocket.jpg", "-n", "3", "-k", "3", "-s", "2", "-p", "same")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "rocket.jpg: 640x427",
        "pass  1: 640x427 -> 320x214   (pads 0 left, 1 right; pads 1 top, 1 bottom)",
        "pass  2: 320x214 -> 160x107   (pads 0 left, 1 right; pads 0 top, 1 bottom)",
        "pass  3: 160x107 -> 80x54   (pads 0 left, 1 right; pads 1 top, 1 bottom)",
        "memory: decoded whole, about 2.0 MiB of pixels",
    ]
    assert sorted(p.name for p in work.iterdir()) == ["astronaut.png", "rocket.jpg"]


def test_plan_json_and_a_plan_that_cannot_run(work: Path) -> None:
    result = run("plan", "astronaut.png", "-n", "all", "--json")
    data = json.loads(result.stdout)
    assert [p["output"] for p in data["passes"]][-1] == [1, 1] and len(data["passes"]) == 9
    result = run("plan", "astronaut.png", "-n", "10")
    assert result.exit_code == 2
    assert "pass 10 needs at least 2x2 pixels but gets 1x1; at most 9 passes fit" in result.stderr


def test_a_bad_plan_writes_nothing_and_exits_2(work: Path) -> None:
    result = run("max", "rocket.jpg", "-n", "12")
    assert result.exit_code == 2
    assert result.stderr.startswith("poolimg: error: rocket.jpg: pass 9 needs at least 2x2 pixels")
    assert not (work / "poolimg-out").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["max", "astronaut.png", "--size", "0"],
            "--size '0': at least 1 pixel a side",
        ),
        (["max", "astronaut.png", "-p", "full"], "--padding 'full': use valid, same, ceil"),
        (
            ["max", "astronaut.png", "-p", "2"],
            "padding 2 must be between 0 and half the window",
        ),
        (["max", "astronaut.png", "--name", "{nope}.png"], "unknown field {nope}"),
        (["max", "astronaut.png", "-f", "doc"], "doc: not a format poolimg can write"),
        (["max", "astronaut.png", "-o", "-"], "-o - needs --format"),
        (
            ["max", "astronaut.png", "rocket.jpg", "-o", "one.png"],
            "-o one.png takes one input, but 2 were given",
        ),
        (
            ["max", "astronaut.png", "-n", "3", "-o", "one.png"],
            "names one file, but this run writes 3 images",
        ),
        (["avg", "astronaut.png", "--background", "blurple"], "not a colour"),
    ],
)
def test_usage_errors_exit_2_with_one_line_and_write_nothing(
    work: Path, args, message: str
) -> None:
    result = run(*args)
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("poolimg: error: ")
    assert sorted(p.name for p in work.iterdir() if p.is_file()) == ["astronaut.png", "rocket.jpg"]
    assert not list(work.glob("poolimg-out/*"))


def test_one_failed_input_exits_1_and_the_others_are_written(work: Path) -> None:
    (work / "notes.jpg").write_text("not a photo")
    result = run("avg", "notes.jpg", "rocket.jpg", "missing.png", "--json", "-j", "1")
    assert result.exit_code == 1
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["input"], r["status"]) for r in lines] == [
        ("notes.jpg", "failed"),
        ("rocket.jpg", "done"),
        ("missing.png", "failed"),
    ]
    assert lines[0]["error"] == "notes.jpg: not an image file (Pillow cannot identify its format)"
    assert lines[1]["outputs"][0] == {
        "path": "poolimg-out/rocket_avg_k2_s2_p1.jpg",
        "width": 320,
        "height": 213,
        "bytes": (work / "poolimg-out/rocket_avg_k2_s2_p1.jpg").stat().st_size,
        "pass": 1,
        "kind": "pass",
    }
    errors = [line for line in result.stderr.splitlines() if line.startswith("poolimg: error: ")]
    assert errors == [
        "poolimg: error: notes.jpg: not an image file (Pillow cannot identify its format)",
        "poolimg: error: missing.png: no such file",
    ]
    assert "Traceback" not in result.stderr


def test_global_values_as_json(work: Path) -> None:
    result = run("max", "astronaut.png", "--global", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    photo = pixels(work / "astronaut.png").reshape(-1, 3)
    assert data["global"]["max"] == photo.max(axis=0).tolist()
    assert data["global"]["min"] == photo.min(axis=0).tolist()
    assert data["channels"] == "RGB"
    assert not (work / "poolimg-out").exists()


def test_global_values_as_a_table(work: Path) -> None:
    result = run("avg", "astronaut.png", "--global")
    assert result.exit_code == 0
    assert "│ R       │ 255 │ 142 │   0 │" in result.stdout


def test_no_clobber_skips_existing_outputs(work: Path) -> None:
    assert run("max", "rocket.jpg").exit_code == 0
    target = work / "poolimg-out/rocket_max_k2_s2_p1.jpg"
    target.write_bytes(b"keep me")
    result = run("max", "rocket.jpg", "--no-clobber", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["status"] == "skipped"
    assert target.read_bytes() == b"keep me"
    assert run("max", "rocket.jpg").exit_code == 0  # without it, replaced atomically
    assert target.read_bytes() != b"keep me"


def test_version_and_help(work: Path) -> None:
    result = run("--version")
    assert result.exit_code == 0 and result.stdout.startswith("poolimg 0.")
    for command in ("max", "avg", "min", "stride", "plan"):
        result = run(command, "--help")
        assert result.exit_code == 0
        assert result.stdout.count(f"poolimg {command} ") >= 2, (
            result.stdout
        )  # two or more examples


def test_help_all_prints_every_commands_help() -> None:
    from poolcli.cli.app import app

    result = run("--help-all")
    assert result.exit_code == 0
    usages = [line for line in result.stdout.splitlines() if line.startswith("Usage: poolimg ")]
    names = [c.name or c.callback.__name__ for c in app.registered_commands]
    assert [u.split()[2] for u in usages] == names
    assert "Window:" in result.stdout and "--dry-run" in result.stdout


def test_each_command_alone_is_the_command_of_the_whole_app() -> None:
    # The entry point builds only the command it runs (cli.app_for): each one's help, the
    # summary of its options, must be what the whole app gives.
    from typer.testing import CliRunner

    from poolcli.cli.app import app, app_for

    names = [c.name or c.callback.__name__ for c in app.registered_commands]
    assert {"max", "avg", "compare", "plan"} <= set(names)
    runner = CliRunner()
    for name in names:
        alone = app_for([name, "x.jpg"])
        assert len(alone.registered_commands) == 1, name
        whole = runner.invoke(app, [name, "--help"], prog_name="poolimg")
        one = runner.invoke(alone, [name, "--help"], prog_name="poolimg")
        assert whole.exit_code == one.exit_code == 0 and whole.stdout == one.stdout, name
    assert app_for(["--help"]) is app and app_for(["mx", "a.jpg"]) is app


def test_installed_entry_point_runs(work: Path) -> None:
    exe = shutil.which("poolimg")
    if exe is None:
        pytest.skip("poolimg is not installed in this environment")
    result = subprocess.run(
        [exe, "avg", "rocket.jpg", "-q"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and result.stderr == ""
    assert (work / "poolimg-out/rocket_avg_k2_s2_p1.jpg").is_file()


@pytest.mark.slow
def test_interrupt_exits_130_and_leaves_no_partial_file(work: Path, samples: Path) -> None:
    # A large PNG takes long enough to encode that SIGINT arrives mid-run.
    big = np.random.default_rng(4).integers(0, 256, (3000, 4000, 3), dtype=np.uint8)
    Image.fromarray(big).save(work / "big.png", compress_level=0)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "poolcli",
            "avg",
            "big.png",
            "-k",
            "1",
            "-n",
            "6",
            "--compress-level",
            "9",
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out = work / "poolimg-out"
    wait_for_output(out, 20, hidden=False)  # the first pass written, the next under way
    proc.send_signal(2)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert b"Traceback" not in stderr
    assert b"interrupted after 0 of 1 inputs" in stderr
    (line,) = [json.loads(line) for line in stdout.splitlines()]
    assert line["status"] == "interrupted"
    assert sorted(o["path"] for o in line["outputs"]) == sorted(
        str(p.relative_to(work)) for p in out.iterdir()
    )
    assert line["outputs"], "the first passes were complete before the signal"
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]
    for written in out.iterdir():  # whatever was finished is whole
        with Image.open(written) as image:
            image.load()
    assert os.path.getsize(work / "big.png") > 0


def test_standard_input_to_standard_output(work: Path) -> None:
    photo = (work / "rocket.jpg").read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "poolcli", "max", "-", "-o", "-", "-f", "png"],
        input=photo,
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (work / "out.png").write_bytes(result.stdout)
    np.testing.assert_array_equal(
        pixels(work / "out.png"), pool(pixels(work / "rocket.jpg"), "max")
    )


def test_standard_input_to_the_output_folder(work: Path) -> None:
    with (work / "astronaut.png").open("rb") as stdin:
        result = subprocess.run(
            [sys.executable, "-m", "poolcli", "avg", "-", "--json"],
            stdin=stdin,
            capture_output=True,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["outputs"][0]["path"] == "poolimg-out/stdin_avg_k2_s2_p1.png"
