"""Contact sheets and comparison grids: sizes, pixels and labels checked on the files written."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from poolcli import pool
from poolcli.pictures.cell_pixels import CHECK, CHECK_GREYS
from poolcli.pictures.sheet import text_width
from poolcli.spec.style import SheetStyle

from .helpers import run


@pytest.fixture
def work(tmp_path: Path, samples: Path, monkeypatch) -> Path:
    for name in ("astronaut.png", "rocket.jpg", "camera.png"):
        shutil.copy(samples / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def read(path: Path | str) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def enlarge(pixels: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement, the obvious way."""
    return np.repeat(np.repeat(pixels, factor, axis=0), factor, axis=1)


def test_sheet_size_and_every_cell_is_the_crisp_enlargement_of_its_pass(work: Path) -> None:
    result = run("max", "astronaut.png", "-n", "3", "--sheet")
    assert result.exit_code == 0, result.stderr
    assert result.stderr.splitlines()[0] == "wrote 3 images to poolimg-out/"
    assert result.stderr.splitlines()[1].startswith(
        "wrote contact sheet poolimg-out/astronaut_max_k2_s2_sheet.png ("
    )
    sheet = read("poolimg-out/astronaut_max_k2_s2_sheet.png")
    style = SheetStyle()  # cell 512: the 512x512 photo is shown at its own size
    gap, line = style.gap, style.line
    top = gap + line + gap  # the title line
    assert sheet.shape == (top + 512 + line + gap, gap + 4 * 512 + 4 * gap, 3)
    passes = [read("astronaut.png")]
    for _ in range(3):
        passes.append(pool(passes[-1], "max"))
    for column, (pixels, factor) in enumerate(zip(passes, [1, 2, 4, 8], strict=True)):
        x = gap + column * (512 + gap)
        np.testing.assert_array_equal(sheet[top : top + 512, x : x + 512], enlarge(pixels, factor))
        label_band = sheet[top + 512 : top + 512 + line, x : x + 512]
        assert (label_band != style.background).any(axis=-1).sum() > 50  # text is there
    assert (sheet[gap : gap + line] != style.background).any(axis=-1).sum() > 100  # the title


def test_sheet_only_writes_just_the_sheet_with_the_cell_cap(work: Path) -> None:
    result = run(
        "avg", "rocket.jpg", "-n", "2", "--sheet-only", "--cell", "320", "--json", "--crop", "none"
    )
    assert result.exit_code == 0
    assert result.stderr.startswith("wrote contact sheet poolimg-out/rocket_avg_k2_s2_sheet.png")
    written = sorted(p.name for p in Path("poolimg-out").iterdir())
    assert written == ["rocket_avg_k2_s2_sheet.png"]
    style = SheetStyle(cell=320)
    sheet = read("poolimg-out/rocket_avg_k2_s2_sheet.png")
    # 640x427 shown at 320x214 (box filter); pass 1 is 320x213 (1:1), pass 2 160x106 (x2)
    top = style.gap + style.line + style.gap
    assert sheet.shape[0] == top + 214 + style.line + style.gap
    assert sheet.shape[1] == style.gap + 320 + 320 + 320 + 3 * style.gap
    pass2 = pool(pool(read("rocket.jpg"), "avg"), "avg")
    x = style.gap + 2 * (320 + style.gap)
    bottom = top + 214
    np.testing.assert_array_equal(sheet[bottom - 212 : bottom, x : x + 320], enlarge(pass2, 2))


def test_an_original_reduced_by_uneven_blocks_keeps_its_shape(work: Path) -> None:
    """640x427 in a 256-pixel cell beside passes of 320 and 160 is shown at 160x107, as its
    passes are: drawn from a copy whose columns were halved and rows not (whole blocks to
    about twice the cell), it once came out 120x160, squeezed, and the row as high."""
    done = run("avg", "rocket.jpg", "-n", "2", "--sheet-only", "--cell", "256", "--crop", "none")
    assert done.exit_code == 0, done.stderr
    style = SheetStyle(cell=256)
    sheet = read("poolimg-out/rocket_avg_k2_s2_sheet.png")
    top = style.gap + style.line + style.gap
    assert sheet.shape[0] == top + 107 + style.line + style.gap
    photo = Image.open("rocket.jpg").convert("RGB")
    expected = np.asarray(photo.resize((160, 107), Image.Resampling.BOX), np.int16)
    shown = sheet[top : top + 107, style.gap : style.gap + 160].astype(np.int16)
    assert np.abs(shown - expected).mean() < 2  # a box filter, whole blocks first


def test_true_scale_shows_real_relative_sizes(work: Path) -> None:
    run(
        "max",
        "astronaut.png",
        "-n",
        "2",
        "--sheet",
        "--sheet-scale",
        "true",
        "--cell",
        "256",
        "--crop",
        "none",
    )
    sheet = read("poolimg-out/astronaut_max_k2_s2_sheet.png")
    style = SheetStyle(cell=256)
    # original 512 shown at 256 (scale 0.5): pass 1 at 128, pass 2 at 64, on one baseline
    assert sheet.shape[1] == style.gap + 256 + 128 + 64 + 3 * style.gap
    top = style.gap + style.line + style.gap
    x2 = style.gap + 256 + style.gap + 128 + style.gap
    above = sheet[top : top + 256 - 64 - 1, x2 : x2 + 64]
    assert (above == style.background).all()  # pass 2 sits on the common baseline


def test_one_sheet_for_several_inputs_has_a_row_each(work: Path) -> None:
    result = run(
        "min",
        "astronaut.png",
        "camera.png",
        "-n",
        "2",
        "--sheet",
        "all.png",
        "--cell",
        "128",
        "-j",
        "2",
        "--crop",
        "none",
    )
    assert result.exit_code == 0, result.stderr
    sheet = read("all.png")
    style = SheetStyle(cell=128)
    left = (
        style.gap
        + max(text_width(n, style.font_size) for n in ("astronaut.png", "camera.png"))
        + style.gap
    )
    top = style.gap + style.line + style.gap
    assert sheet.shape == (
        top + 2 * (128 + style.line + style.gap),
        left + 3 * 128 + 3 * style.gap,
        3,
    )
    camera = pool(pool(read("camera.png"), "min"), "min")  # 128x128: shown 1:1 in row 2
    y = top + 128 + style.line + style.gap
    x = left + 2 * (128 + style.gap)
    np.testing.assert_array_equal(sheet[y : y + 128, x : x + 128], camera)
    assert "wrote contact sheet all.png" in result.stderr


def test_sheet_of_a_16_bit_image(work: Path) -> None:
    deep = (np.arange(64 * 96, dtype=np.uint32).reshape(64, 96) * 10).astype(np.uint16)
    Image.fromarray(deep).save("deep.png")
    result = run("max", "deep.png", "-n", "1", "--sheet", "deep_sheet.png")
    assert result.exit_code == 0, result.stderr
    sheet = read("deep_sheet.png")
    style = SheetStyle()
    top = style.gap + style.line + style.gap
    # a 96x64 image is small for a 512 cell: shown x5 (480x320), its pass (48x32) x10
    x = style.gap + 480 + style.gap
    expected = np.floor(pool(deep, "max") / 257 + 0.5).astype(np.uint8)
    np.testing.assert_array_equal(sheet[top : top + 320, x : x + 480, 0], enlarge(expected, 10))
    original = np.floor(deep / 257 + 0.5).astype(np.uint8)
    np.testing.assert_array_equal(
        sheet[top : top + 320, style.gap : style.gap + 480, 0], enlarge(original, 5)
    )
    with Image.open("poolimg-out/deep_max_k2_s2_p1.png") as written:
        assert written.mode in ("I;16", "I")  # the pass itself keeps its 16 bits


def test_sheet_of_an_rgba_image_shows_a_checkerboard_through(work: Path) -> None:
    # not the background, which transparency would be taken for (issue 25)
    rgba = np.zeros((40, 40, 4), np.uint8)
    rgba[:20, :, :] = (255, 0, 0, 255)  # top half opaque red, bottom transparent
    Image.fromarray(rgba).save("half.png")
    result = run("avg", "half.png", "--sheet", "s.png", "--background", "#102030")
    assert result.exit_code == 0, result.stderr
    sheet = read("s.png")
    style = SheetStyle(background=(16, 32, 48))
    top = style.gap + style.line + style.gap
    original = sheet[top : top + 480, style.gap : style.gap + 480]  # 40x40 shown x12
    assert (original[:240] == (255, 0, 0)).all()
    rows, cols = np.indices((240, 480))
    dark = ((rows + 240) // CHECK + cols // CHECK) % 2 == 1
    checks = np.where(dark[..., None], CHECK_GREYS[0], CHECK_GREYS[1])
    np.testing.assert_array_equal(original[240:], checks)


def test_comparison_grid_rows_columns_and_diff(work: Path) -> None:
    result = run(
        "compare",
        "astronaut.png",
        "--modes",
        "max,avg",
        "-n",
        "2",
        "--diff",
        "-o",
        "grid.png",
        "--cell",
        "128",
        "--crop",
        "none",
    )
    assert result.exit_code == 0, result.stderr
    grid = read("grid.png")
    style = SheetStyle(cell=128)
    labels = ["max", "avg", "difference"]
    left = style.gap + max(text_width(t, style.font_size) for t in labels) + style.gap
    top = style.gap + style.line + style.gap + style.line  # title, then column labels
    row = 128 + style.line + style.gap
    assert grid.shape == (top + 3 * row, left + 3 * 128 + 3 * style.gap, 3)
    # the avg row, pass 2: 128x128 shown 1:1
    photo = read("astronaut.png")
    expected = pool(pool(photo, "avg"), "avg")
    x = left + 2 * (128 + style.gap)
    np.testing.assert_array_equal(grid[top + row : top + row + 128, x : x + 128], expected)
    # the difference row, pass 1: |max - avg| stretched so its largest value is 255
    one_max, one_avg = pool(photo, "max").astype(int), pool(photo, "avg").astype(int)
    difference = np.abs(one_max - one_avg)
    stretched = (difference * (255 / difference.max()) + 0.5).astype(np.uint8)
    # 256x256, shown in a 128-high cell shrunk by Pillow's box filter
    shown = np.asarray(Image.fromarray(stretched).resize((128, 128), Image.Resampling.BOX))
    x = left + 128 + style.gap
    np.testing.assert_array_equal(grid[top + 2 * row : top + 2 * row + 128, x : x + 128], shown)


def test_comparing_sizes_and_a_diff_that_cannot_be(work: Path) -> None:
    result = run("compare", "rocket.jpg", "--sizes", "2,3", "-m", "max", "-n", "2", "-o", "s.png")
    assert result.exit_code == 0
    assert read("s.png").shape[0] > 0
    result = run(
        "compare", "rocket.jpg", "--sizes", "2,3", "-m", "max", "-n", "2", "--diff", "-o", "d.png"
    )
    assert result.exit_code == 2
    assert "--diff needs the first two rows to have the same size at each pass" in result.stderr
    assert not Path("d.png").exists()
    result = run("compare", "rocket.jpg", "--modes", "max", "--diff")
    assert result.exit_code == 2 and "at least two modes or sizes" in result.stderr


def test_compare_sizes_takes_target_sizes_as_rows_of_one_pass(work: Path) -> None:
    words = ["compare", "rocket.jpg", "-m", "mode", "-n", "2", "--crop", "none", "--sizes"]
    one = run(*words, "2", "-o", "one.png")
    three = run(*words, "2,50%,x20", "-o", "three.png")
    assert one.exit_code == three.exit_code == 0, three.stderr
    assert read("three.png").shape[0] > 2 * read("one.png").shape[0]  # three rows, not one
    # -s and -p are the window rows'; a row to a size places its own windows
    mixed = run("compare", "rocket.jpg", "--sizes", "3,50%", "-s", "2", "-p", "same", "-o", "m.png")
    assert mixed.exit_code == 0, mixed.stderr
