"""Label maps stay label maps: a palette image pooled by mode or stride keeps its palette and
its classes (every output pixel is a class present in its window), through the CLI as a user
runs it, written and read back with Pillow."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from poolcli.core.axes import adaptive_bounds

from .helpers import assert_clean_stderr, json_lines, poolimg

COLOURS = [255, 0, 0, 0, 128, 0, 0, 0, 255, 255, 255, 0, 0, 0, 0]  # five classes


def label_map(path: Path, shape: tuple[int, int] = (300, 400), seed: int = 0, **info) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # blobs rather than noise, as a segmentation is: classes by coarse cells, edges noisy
    coarse = rng.integers(0, 5, (shape[0] // 20 + 1, shape[1] // 20 + 1))
    indices = np.kron(coarse, np.ones((20, 20), np.int64))[: shape[0], : shape[1]]
    flip = rng.random(shape) < 0.1
    indices = np.where(flip, rng.integers(0, 5, shape), indices).astype(np.uint8)
    image = Image.fromarray(indices, "L").convert("P")
    image.putpalette(COLOURS)
    image.save(path, **info)
    return indices


def read_indices(path: Path) -> tuple[np.ndarray, list[int] | None, object]:
    with Image.open(path) as image:
        assert image.mode == "P", image.mode
        return np.asarray(image), image.getpalette()[: len(COLOURS)], image.info.get("transparency")


@pytest.mark.parametrize(
    ("args", "windows"),
    [
        (["-k", "2"], "fixed"),
        (["-k", "3", "-s", "2", "-p", "same"], "fixed"),
        (["--to", "128x"], "adaptive"),
        (["--to", "37x23!"], "adaptive"),
    ],
)
def test_mode_keeps_the_palette_and_every_pixel_is_a_class_of_its_window(
    tmp_path: Path, args: list[str], windows: str
) -> None:
    indices = label_map(tmp_path / "mask.png")
    run = poolimg("mode", "mask.png", *args, "-o", "out.png", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert_clean_stderr(run.stderr)
    out, palette, _ = read_indices(tmp_path / "out.png")
    assert palette == COLOURS
    if windows == "adaptive":
        rows = adaptive_bounds(indices.shape[0], out.shape[0])
        cols = adaptive_bounds(indices.shape[1], out.shape[1])
        spans = [
            [
                (slice(rows[0][i], rows[1][i]), slice(cols[0][j], cols[1][j]))
                for j in range(out.shape[1])
            ]
            for i in range(out.shape[0])
        ]
    else:
        k, s = (2, 2) if args[1] == "2" else (3, 2)
        pad = 0 if args[1] == "2" else max((out.shape[0] - 1) * s + k - indices.shape[0], 0) // 2
        padc = 0 if args[1] == "2" else max((out.shape[1] - 1) * s + k - indices.shape[1], 0) // 2
        spans = [
            [
                (
                    slice(max(i * s - pad, 0), i * s - pad + k),
                    slice(max(j * s - padc, 0), j * s - padc + k),
                )
                for j in range(out.shape[1])
            ]
            for i in range(out.shape[0])
        ]
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            window = indices[spans[i][j]]
            values, counts = np.unique(window, return_counts=True)
            assert out[i, j] == values[counts == counts.max()].min(), (i, j)


@pytest.mark.parametrize("ext", ["png", "gif", "bmp", "tif"])
def test_every_format_with_palettes_keeps_it_and_the_transparent_class(
    tmp_path: Path, ext: str
) -> None:
    info = {"transparency": 4} if ext in ("png", "gif") else {}
    indices = label_map(tmp_path / f"mask.{ext}", (64, 48), seed=2, **info)
    run = poolimg("stride", f"mask.{ext}", "-o", f"out.{ext}", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    out, palette, transparency = read_indices(tmp_path / f"out.{ext}")
    assert np.array_equal(out, indices[::2, ::2])
    assert palette == COLOURS
    if info:
        assert transparency == 4


def test_a_format_without_palettes_gets_its_colours_with_a_note(tmp_path: Path) -> None:
    label_map(tmp_path / "mask.png", (64, 48))
    run = poolimg("mode", "mask.png", "-o", "out.webp", "--json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "palette converted to RGB for WEBP" in json_lines(run.stdout)[0]["warnings"][0]
    with Image.open(tmp_path / "out.webp") as out:
        assert out.mode == "RGB"


def test_max_pools_a_palette_photos_colours_not_its_indices(tmp_path: Path) -> None:
    # a palette's order is not brightness: max over indices would pick arbitrary colours
    label_map(tmp_path / "mask.png", (64, 48))
    run = poolimg("max", "mask.png", "-o", "out.png", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    with Image.open(tmp_path / "mask.png") as image:
        rgb = np.asarray(image.convert("RGB")).astype(int)
    with Image.open(tmp_path / "out.png") as out:
        assert out.mode == "RGB"
        expected = rgb.reshape(32, 2, 24, 2, 3).max(axis=(1, 3))
        assert np.array_equal(np.asarray(out), expected)


def test_the_sheet_of_a_label_map_shows_its_colours(tmp_path: Path) -> None:
    label_map(tmp_path / "mask.png", (64, 48))
    run = poolimg("mode", "mask.png", "-n", "2", "--sheet-only", "-o", "out", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    (sheet,) = (tmp_path / "out").glob("*sheet*")
    with Image.open(sheet) as image:
        colours = {c for _, c in image.convert("RGB").getcolors(1 << 16)}
    palette = {tuple(COLOURS[i : i + 3]) for i in range(0, len(COLOURS), 3)}
    assert len(palette & colours) == len(palette)  # every class drawn in its colour
