"""The detail of sheets and grids: a region at 1:1 and the same region of every pass, checked on
the files written against pooling done the obvious way with numpy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import poolcli
from poolcli.errors import ParameterError
from poolcli.pictures.detail import FRAME_LIGHT, busiest
from poolcli.spec.style import SheetStyle

from .helpers import run

# A 2048x1536 picture: a smooth gradient (neighbours differ by at most one level) with one
# patch of noise, the only fine detail in it.
PATCH = (slice(1000, 1100), slice(300, 500))


@pytest.fixture
def big(tmp_path: Path, monkeypatch) -> np.ndarray:
    rows, cols = np.indices((1536, 2048))
    photo = np.stack([cols // 9, rows // 7, (rows + cols) // 15], axis=-1).astype(np.uint8)
    photo[PATCH] = np.random.default_rng(7).integers(0, 256, (100, 200, 3), dtype=np.uint8)
    Image.fromarray(photo).save(tmp_path / "big.png")
    monkeypatch.chdir(tmp_path)
    return photo


def read(path: str) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def max_2x2(pixels: np.ndarray) -> np.ndarray:
    rows, cols = pixels.shape[0] // 2, pixels.shape[1] // 2
    return pixels[: 2 * rows, : 2 * cols].reshape(rows, 2, cols, 2, -1).max(axis=(1, 3))


def avg_2x2(pixels: np.ndarray) -> np.ndarray:
    rows, cols = pixels.shape[0] // 2, pixels.shape[1] // 2
    total = pixels.astype(int).reshape(rows, 2, cols, 2, -1).sum(axis=(1, 3))
    return ((total + 2) // 4).astype(np.uint8)  # halves up, as poolimg's averages


def enlarge(pixels: np.ndarray, factor: int) -> np.ndarray:
    return np.repeat(np.repeat(pixels, factor, axis=0), factor, axis=1)


def contains(canvas: np.ndarray, block: np.ndarray) -> bool:
    """Whether ``block`` appears in ``canvas``, pixel for pixel, anywhere."""
    height, width = block.shape[:2]
    ys, xs = np.nonzero((canvas[: -height + 1, : -width + 1] == block[0, 0]).all(axis=-1))
    return any(
        np.array_equal(canvas[y : y + height, x : x + width], block)
        for y, x in zip(ys, xs, strict=True)
    )


def test_a_named_region_at_its_scale_and_every_pass_as_large(big: np.ndarray) -> None:
    result = run(
        "max", "big.png", "-n", "2", "--sheet-only", "--cell", "256", "--crop", "1500,300,128,96"
    )
    assert result.exit_code == 0, result.stderr
    sheet = read("poolimg-out/big_max_k2_s2_sheet.png")
    style = SheetStyle(cell=256)
    gap, line = style.gap, style.line
    # the whole pictures 256x192 (a 2048x1536 photo at 1:8), then the detail row under them
    top = gap + line + gap + 192 + line + gap
    assert sheet.shape == (top + 192 + line + gap, gap + 3 * (256 + gap), 3)
    one = max_2x2(big)
    two = max_2x2(one)
    # the region 128x96 enlarged x2 to fill the cell; pass 1's 64x48 of it x4, pass 2's x8
    for column, expected in enumerate(
        [
            enlarge(big[300:396, 1500:1628], 2),
            enlarge(one[150:198, 750:814], 4),
            enlarge(two[75:99, 375:407], 8),
        ]
    ):
        x = gap + column * (256 + gap)
        np.testing.assert_array_equal(sheet[top : top + 192, x : x + 256], expected)
    # and the region framed on the whole original, at 1:8
    whole = sheet[gap + line + gap : gap + line + gap + 192, gap : gap + 256]
    framed = np.argwhere((whole == FRAME_LIGHT).all(axis=-1))
    corners = np.array([[300 / 8, 1500 / 8], [(300 + 96) / 8, (1500 + 128) / 8]])
    assert framed.size
    assert np.abs([framed.min(axis=0), framed.max(axis=0)] - corners).max() <= 1


def test_auto_finds_the_fine_detail_and_shows_it_at_one_to_one(big: np.ndarray) -> None:
    region = busiest(np.moveaxis(big, -1, 0), 256, 192)
    assert region.width == 256 and region.height == 192
    assert region.y <= PATCH[0].start and PATCH[0].stop <= region.y + 192
    assert region.x <= PATCH[1].start and PATCH[1].stop <= region.x + 256
    result = run("avg", "big.png", "-n", "1", "--sheet-only", "--cell", "256")
    assert result.exit_code == 0, result.stderr
    sheet = read("poolimg-out/big_avg_k2_s2_sheet.png")
    crop = big[region.y : region.y + 192, region.x : region.x + 256]
    assert contains(sheet, crop)  # the original at 1:1
    pass_one = avg_2x2(big)[region.y // 2 : region.y // 2 + 96, region.x // 2 : region.x // 2 + 128]
    assert contains(sheet, enlarge(pass_one, 2))


def test_small_pictures_and_crop_none_have_no_detail(big: np.ndarray) -> None:
    plain = poolcli.contact_sheet(big, "max", passes=1, cell=256, crop="none")
    detailed = poolcli.contact_sheet(big, "max", passes=1, cell=256)
    style = SheetStyle(cell=256)
    assert detailed.height == plain.height + 192 + style.line + style.gap
    # shown at more than half its size, a picture's first pass already looks different
    small = poolcli.contact_sheet(big[:150, :200], "max", passes=1, cell=256)
    assert small.height == plain.height - 192 + 150  # one row, of the picture at 1:1
    # at half its size, the first pass shown 1:1 looks as the original does: a detail
    half = poolcli.contact_sheet(big[:384, :512], "max", passes=1, cell=256)
    assert half.height == detailed.height
    with pytest.raises(ParameterError, match="crop"):
        SheetStyle(crop=(0, 0, 0, 5))
    with pytest.raises(ParameterError, match="not inside the 2048x1536 image"):
        poolcli.contact_sheet(big, "max", passes=1, crop=(2000, 0, 100, 10))


def test_comparison_rows_show_the_detail_under_the_whole_pictures(big: np.ndarray) -> None:
    result = run(
        "compare", "big.png", "--modes", "max,avg", "-n", "1", "--cell", "256",
        "--crop", "1500,300,128,96", "-o", "grid.png",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    grid = read("grid.png")
    assert contains(grid, enlarge(big[300:396, 1500:1628], 2))
    assert contains(grid, enlarge(max_2x2(big)[150:198, 750:814], 4))
    assert contains(grid, enlarge(avg_2x2(big)[150:198, 750:814], 4))
    style = SheetStyle(cell=256)
    rows = 3  # max whole, then the detail of max and of avg
    assert grid.shape[0] == style.gap + 2 * style.line + style.gap + rows * (
        192 + style.line + style.gap
    )


def test_a_region_outside_one_input_fails_that_input_alone(big: np.ndarray) -> None:
    Image.fromarray(big[:64, :64]).save("small.png")
    result = run("max", "big.png", "small.png", "--sheet-only", "--crop", "1500,300,128,96")
    assert result.exit_code == 1
    assert "small.png: --crop 1500,300,128,96 is not inside the 64x64 image" in result.stderr
    assert "Traceback" not in result.stderr
    assert Path("poolimg-out/big_max_k2_s2_sheet.png").is_file()
    assert not Path("poolimg-out/small_max_k2_s2_sheet.png").exists()
    for word in ("1,2,3", "a,b,c,d", "0,0,0,4", "-1,0,4,4"):
        result = run("max", "big.png", "--sheet", "--crop", word)
        assert result.exit_code == 2 and f"--crop {word!r}: use auto, none or X,Y,W,H" in (
            result.stderr
        )


def test_the_kept_pixels_row_shows_the_same_detail(big: np.ndarray) -> None:
    words = ["max", "big.png", "-n", "1", "--unpool", "--cell", "256", "-o", "out/"]
    result = run(*words, "--sheet", "--crop", "1500,300,128,96")
    assert result.exit_code == 0, result.stderr
    sheet = read("out/big_max_k2_s2_sheet.png")
    style = SheetStyle(cell=256)
    # the passes, their detail, the kept pixels, their detail: four rows 192 high
    assert sheet.shape[0] == style.gap + style.line + style.gap + 4 * (192 + style.line + style.gap)
    (kept,) = Path("out").glob("big_max_k2_s2*unpool*.png")
    region = read(str(kept))[300:396, 1500:1628]
    assert contains(sheet, enlarge(region, 2))  # the kept picture's region, x2 as the passes'
