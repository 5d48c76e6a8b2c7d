"""What tripped a new user trying poolimg from a fresh clone (issue 25): the install name, the
messages, the files and counts a run gives, each as the user met it."""

from __future__ import annotations

import json
import shutil
import tomllib
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from poolcli.pictures.cell_pixels import CHECK, CHECK_GREYS

from .helpers import assert_clean_stderr, pixels, poolimg

ROOT = Path(__file__).resolve().parent.parent


def json_lines(stdout: bytes) -> list[dict]:
    return [json.loads(line) for line in stdout.decode().splitlines()]


# --- installing -------------------------------------------------------------------------------


def test_the_distribution_is_poolimg_and_every_hint_says_so() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == "poolimg"  # "poolcli" on the package index is another project
    assert project["scripts"] == {"poolimg": "poolcli.cli:main"}
    installed = metadata.distribution("poolimg")
    assert [e.value for e in installed.entry_points if e.name == "poolimg"] == ["poolcli.cli:main"]
    hints = [ROOT / "README.md", *sorted((ROOT / "poolcli").glob("*.py"))]
    for path in hints:
        text = path.read_text()
        assert 'install "poolcli[' not in text and "install 'poolcli[" not in text, path
        assert "poolcli[" not in text.replace("import poolcli", ""), path


def test_the_quick_start_names_python_and_a_virtual_environment() -> None:
    readme = (ROOT / "README.md").read_text()
    start = readme[readme.index("## Quick start") :][:1500]
    assert "Python 3.11" in start and "venv" in start and "pipx install ." in start


@pytest.fixture
def without(tmp_path: Path):
    """Run poolimg as if some packages were not installed."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(
        "import os, sys\n"
        "class Missing:\n"
        "    names = set(os.environ['POOLIMG_TEST_MISSING'].split(','))\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in self.names:\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Missing())\n"
    )

    def run(missing: str, *args: object, cwd: Path):
        env = {"PYTHONPATH": str(hook), "POOLIMG_TEST_MISSING": missing}
        return poolimg(*args, cwd=cwd, env=env)

    return run


@pytest.mark.parametrize(
    ("missing", "args", "extra"),
    [
        ("distributed,dask", ["--dask", "local:2", "-o", "out"], "dask"),
        ("s3fs", ["-o", "s3://bucket/out/"], "s3"),
        ("s3fs,fsspec", ["-o", "s3://bucket/out/"], "s3"),
    ],
)
def test_a_missing_extra_is_one_usage_line_naming_it(
    without, tmp_path: Path, samples: Path, missing: str, args: list[str], extra: str
) -> None:
    for name in ("a.png", "b.png", "c.png"):
        shutil.copy(samples / "camera.png", tmp_path / name)
    run = without(missing, "max", "a.png", "b.png", "c.png", *args, cwd=tmp_path)
    assert run.returncode == 2
    lines = run.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert f'pip install "poolimg[{extra}]" (from a checkout: pip install ".[{extra}]")' in lines[0]
    assert not (tmp_path / "out").exists()


# --- outputs a user can look at ---------------------------------------------------------------


def test_small_sums_are_kept_whole_said_dark_and_stretched_on_request(
    tmp_path: Path, samples: Path
) -> None:
    shutil.copy(samples / "astronaut.png", tmp_path / "sky.png")
    plain = poolimg("sum", "sky.png", "-k", "2", "-n", "3", "-o", "out/", cwd=tmp_path)
    assert plain.returncode == 0
    assert "values up to " in plain.stderr.decode() and "--stretch" in plain.stderr.decode()
    exact = pixels(tmp_path / "out" / "sky_sum_k2_s2_p1.png")
    assert exact.max() <= 1020
    run = poolimg("sum", "sky.png", "-k", "2", "-n", "3", "--stretch", "-o", "out/", cwd=tmp_path)
    assert run.returncode == 0 and "--stretch" not in run.stderr.decode()
    import png

    _, _, rows, info = png.Reader(str(tmp_path / "out" / "sky_sum_k2_s2_p1_stretched.png")).read()
    stretched = np.vstack(list(rows)).reshape(256, 256, 3)
    assert info["bitdepth"] == 16 and stretched.max() == 65535
    raw = np.vstack(list(png.Reader(str(tmp_path / "out" / "sky_sum_k2_s2_p1.png")).read()[2]))
    expected = np.floor(raw.reshape(256, 256, 3) * (65535 / raw.max()) + 0.5)
    np.testing.assert_array_equal(stretched, expected)
    # an 8-bit format stretches to 255
    poolimg("sum", "sky.png", "--stretch", "-f", "jpg", "-o", "jpg/", cwd=tmp_path)
    assert pixels(tmp_path / "jpg" / "sky_sum_k2_s2_p1_stretched.jpg").max() >= 250


def test_transparent_pixels_on_a_sheet_are_a_checkerboard(tmp_path: Path) -> None:
    rgba = np.zeros((64, 96, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[:, :48, 3] = 255  # the left half opaque red, the right half transparent
    Image.fromarray(rgba, "RGBA").save(tmp_path / "half.png")
    style = ["--cell", "96"]
    run = poolimg("max", "half.png", "--sheet-only", *style, "-o", "out/", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    sheet = pixels(tmp_path / "out" / "half_max_k2_s2_sheet.png")
    greys = {tuple(map(int, p)) for p in sheet.reshape(-1, 3)}
    assert set(CHECK_GREYS) <= greys
    # the original's cell: left half red, right half squares of CHECK screen pixels in two
    # greys, counted from the cell's corner
    red = (sheet == (255, 0, 0)).all(axis=2)
    rows, cols = np.nonzero(red)
    top, left = rows.min(), cols.min()
    half = int(np.argmin(red[top, left:]))  # the first cell's red run
    for y in range(0, 3 * CHECK):
        for x in range(half, 2 * half):
            grey = CHECK_GREYS[0] if (y // CHECK + x // CHECK) % 2 else CHECK_GREYS[1]
            assert tuple(sheet[top + y, left + x]) == grey, (y, x)


def test_a_winners_map_on_a_sheet_says_its_scale(samples: Path) -> None:
    from poolcli.core.kernels.winners import kept_label

    index = np.array([[[0, 0], [5, 7]]], np.int64)
    assert kept_label("winners", index, (4, 4)) == "won 0-2 windows, sqrt"
    assert kept_label("dark", index, (4, 4)) == "kept"


def test_a_sheet_of_every_pass_of_a_large_photo_wraps(tmp_path: Path, samples: Path) -> None:
    shutil.copy(samples / "retina.jpg", tmp_path / "eye.jpg")  # 1411x1411: 11 passes
    run = poolimg("max", "eye.jpg", "-n", "all", "--sheet-only", "-o", "out/", cwd=tmp_path)
    assert run.returncode == 0
    with Image.open(tmp_path / "out" / "eye_max_k2_s2_sheet.png") as sheet:
        width, height = sheet.size
    # four cells a line: three lines, no 5,000-pixel strip
    assert width < 4 * 520 and height > 3 * 400


# --- names and counts -------------------------------------------------------------------------


def test_pass_numbers_sort(tmp_path: Path, samples: Path) -> None:
    shutil.copy(samples / "retina.jpg", tmp_path / "eye.jpg")
    run = poolimg("max", "eye.jpg", "-n", "10", "-o", "out/", cwd=tmp_path)
    assert run.returncode == 0
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names[0] == "eye_max_k2_s2_p01.jpg" and names[-1] == "eye_max_k2_s2_p10.jpg"
    sizes = [Image.open(tmp_path / "out" / n).size[0] for n in names]
    assert sizes == sorted(sizes, reverse=True)  # in name order, each smaller than the last


def test_the_summary_counts_every_file_by_kind(tmp_path: Path, samples: Path) -> None:
    shutil.copy(samples / "camera.png", tmp_path / "c.png")
    run = poolimg("max", "c.png", "-n", "3", "--unpool", "-o", "out/", cwd=tmp_path)
    assert run.stderr.decode() == "wrote 3 images and 3 unpooled pictures to out/\n"
    assert len(list((tmp_path / "out").iterdir())) == 6


def test_no_clobber_keeps_sheets_too_and_says_little_without_v(
    tmp_path: Path, samples: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.png", "b.png", "c.png"):
        shutil.copy(samples / "camera.png", folder / name)
    assert poolimg("max", "in", "--sheet", "-o", "out/", cwd=tmp_path).returncode == 0
    sheet = tmp_path / "out" / "a_max_k2_s2_sheet.png"
    before = sheet.stat().st_mtime_ns
    rerun = poolimg("max", "in", "--sheet", "--no-clobber", "-o", "out/", cwd=tmp_path)
    assert rerun.returncode == 0
    assert rerun.stderr.decode().splitlines() == [
        "0 done, 3 skipped; wrote 0 images to out/ in "
        + rerun.stderr.decode().split(" in ")[-1].strip()
    ]
    assert sheet.stat().st_mtime_ns == before
    verbose = poolimg("max", "in", "--sheet", "--no-clobber", "-v", "-o", "out/", cwd=tmp_path)
    assert "in/a.png: skipped: every output exists (--no-clobber)" in verbose.stderr.decode()


def test_files_from_follows_one_rule_and_dir_names_the_folder(
    tmp_path: Path, samples: Path
) -> None:
    (tmp_path / "shots" / "day").mkdir(parents=True)
    shutil.copy(samples / "camera.png", tmp_path / "shots" / "day" / "a.png")
    shutil.copy(samples / "camera.png", tmp_path / "b.png")
    listing = f"shots/day/a.png\n{tmp_path / 'b.png'}\n"
    run = poolimg("max", "--files-from", "-", "-o", "out/", cwd=tmp_path, stdin=listing.encode())
    assert run.returncode == 0, run.stderr
    written = sorted(
        p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.png")
    )
    absolute = (tmp_path / "b.png").relative_to("/").parent.as_posix()
    assert written == sorted(["shots/day/a_max_k2_s2_p1.png", f"{absolute}/b_max_k2_s2_p1.png"])
    # {dir}: the input's folder below where it was found, for flat names that stay apart
    flat = poolimg("max", "shots", "-r", "--name", "{dir}_{stem}.png", "-o", "flat/", cwd=tmp_path)
    assert flat.returncode == 0, flat.stderr
    assert [p.name for p in (tmp_path / "flat").iterdir()] == ["day_a.png"]
    # ... and for files named on their own, their folder as written
    shutil.copy(samples / "camera.png", tmp_path / "shots" / "a.png")
    both = poolimg(
        "max", "shots/a.png", "shots/day/a.png", "--name", "{dir}_{stem}.png", "-o", "two/",
        cwd=tmp_path,
    )  # fmt: skip
    assert both.returncode == 0, both.stderr
    two = tmp_path / "two"
    written = sorted(p.relative_to(two).as_posix() for p in two.rglob("*.png"))
    assert written == ["shots/day_a.png", "shots_a.png"]


def test_the_small_output_example_of_the_help_gives_a_small_image_not_one_pixel(
    tmp_path: Path, samples: Path
) -> None:
    help_text = poolimg("max", "--help").stdout.decode()
    example = next(line for line in help_text.splitlines() if "--final-only -o small.png" in line)
    args = example.split("poolimg max ", 1)[1].split("  ")[0].split()
    shutil.copy(samples / "rocket.jpg", tmp_path / "photo.jpg")  # 640x427
    run = poolimg("max", *args, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert Image.open(tmp_path / "small.png").size == (80, 53)


# --- scripts ----------------------------------------------------------------------------------


def test_a_dry_run_lists_on_stdout_and_sums_up_in_words(tmp_path: Path, samples: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(samples / "camera.png", folder / "a.png")
    shutil.copy(samples / "rocket.jpg", folder / "b.jpg")
    (folder / "notes.txt").write_text("not an image")
    (folder / "bad.png").write_bytes(b"not a png either")
    poolimg("max", "in/a.png", "-o", "out/", cwd=tmp_path)
    run = poolimg("max", "in", "-n", "2", "--no-clobber", "--dry-run", "-o", "out/", cwd=tmp_path)
    assert run.returncode == 1  # bad.png would fail
    assert run.stdout.decode().splitlines() == [
        "out/a_max_k2_s2_p2.png (128x128)",
        "out/b_max_k2_s2_p1.jpg (320x213)",
        "out/b_max_k2_s2_p2.jpg (160x106)",
    ]
    assert run.stderr.decode().splitlines()[-1] == (
        "dry run: 3 files would be written, 1 kept as they are (--no-clobber), 1 input would "
        "fail, 1 file skipped; nothing written"
    )


def test_files_from_says_every_line_is_a_path() -> None:
    assert "(# is not a comment)" in " ".join(poolimg("max", "--help").stdout.decode().split())


def test_a_truncated_jpeg_is_refused_unless_allowed(tmp_path: Path, samples: Path) -> None:
    (tmp_path / "cut.jpg").write_bytes((samples / "rocket.jpg").read_bytes()[:30000])
    refused = poolimg("max", "cut.jpg", "-o", "out/", cwd=tmp_path)
    assert refused.returncode == 1 and "truncated or corrupt image" in refused.stderr.decode()
    allowed = poolimg("max", "cut.jpg", "--allow-truncated", "-o", "out/", cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stderr.decode().startswith(
        "poolimg: warning: cut.jpg: truncated or corrupt image: decoded as far as it goes"
    )
    assert_clean_stderr(allowed.stderr)
    written = pixels(tmp_path / "out" / "cut_max_k2_s2_p1.jpg").astype(int)
    assert written.shape == (213, 320, 3)
    poolimg("max", samples / "rocket.jpg", "-o", "whole/", cwd=tmp_path)
    whole = pixels(tmp_path / "whole" / "rocket_max_k2_s2_p1.jpg").astype(int)
    assert np.abs(written[:20] - whole[:20]).mean() < 3  # the top, which the file holds


# --- messages ---------------------------------------------------------------------------------


def test_a_command_without_inputs_prints_its_usage_and_where_the_help_is() -> None:
    run = poolimg("max")
    assert run.returncode == 2
    assert run.stderr.decode().splitlines() == [
        "Usage: poolimg max [OPTIONS] [INPUTS...]",
        "Try 'poolimg max --help' for its options and examples.",
    ]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["-k", "0"], "--size '0': at least 1 pixel a side"),
        (["-o", "results.v2"], "or end it with / if results.v2 is meant as a folder"),
        (
            ["-f", "heic", "-o", "out/"],
            "heic: not a format poolimg can write (it writes bmp, gif, jpg",
        ),
    ],
)
def test_messages_say_what_would_work(
    tmp_path: Path, samples: Path, args: list[str], said: str
) -> None:
    shutil.copy(samples / "camera.png", tmp_path / "c.png")
    run = poolimg("max", "c.png", *args, cwd=tmp_path)
    assert run.returncode in (1, 2)
    assert said in run.stderr.decode()
