"""contact_sheet() and comparison() for Python and notebooks: the very pictures the CLI writes,
from a path, a Pillow image or a numpy array."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import poolcli
from poolcli import ParameterError

from .helpers import run


@pytest.fixture
def work(tmp_path: Path, samples: Path, monkeypatch) -> Path:
    for name in ("astronaut.png", "camera.png", "chelsea.png"):
        shutil.copy(samples / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def pixels(image: Image.Image | str | Path) -> np.ndarray:
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("RGB"))
    with Image.open(image) as opened:
        return np.asarray(opened.convert("RGB"))


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (["max", "-n", "3"], {"mode": "max", "passes": 3}),
        (
            ["avg", "-k", "3", "-s", "2", "-p", "same", "-n", "2"],
            {"mode": "avg", "size": 3, "stride": 2, "padding": "same", "passes": 2},
        ),
        (["max", "-n", "2", "--unpool"], {"mode": "max", "passes": 2, "unpool": "dark"}),
        (
            ["lp", "--power", "3", "-n", "2", "--cell", "256"],
            {"mode": "lp", "passes": 2, "power": 3.0, "cell": 256},
        ),
    ],
)
def test_contact_sheet_is_the_sheet_the_cli_writes(work: Path, args, kwargs) -> None:
    result = run(*args, "chelsea.png", "--sheet-only", "--sheet", "cli.png")
    assert result.exit_code == 0, result.stderr
    sheet = poolcli.contact_sheet("chelsea.png", **kwargs)
    assert isinstance(sheet, Image.Image)
    np.testing.assert_array_equal(pixels(sheet), pixels("cli.png"))


def test_a_pillow_image_or_an_array_gives_the_same_sheet(work: Path) -> None:
    from_path = poolcli.contact_sheet("astronaut.png", "min", passes=2, title="photo")
    with Image.open("astronaut.png") as image:
        from_pillow = poolcli.contact_sheet(image, "min", passes=2, title="photo")
        array = np.asarray(image)
    from_array = poolcli.contact_sheet(array, "min", passes=2, title="photo")
    for other in (from_pillow, from_array):
        np.testing.assert_array_equal(pixels(other), pixels(from_path))
    grey = poolcli.contact_sheet(np.asarray(Image.open("camera.png")), "avg", passes=1)
    assert grey.size[0] > 512


def test_comparison_is_the_grid_the_cli_writes(work: Path) -> None:
    result = run(
        "compare", "astronaut.png", "--modes", "max,avg", "-n", "3", "--diff", "-o", "grid.png"
    )
    assert result.exit_code == 0, result.stderr
    grid = poolcli.comparison("astronaut.png", ["max", "avg"], passes=3, diff=True)
    np.testing.assert_array_equal(pixels(grid), pixels("grid.png"))
    result = run("compare", "camera.png", "--sizes", "2,3", "--modes", "min", "-o", "sizes.png")
    assert result.exit_code == 0, result.stderr
    by_size = poolcli.comparison("camera.png", "min", sizes=[2, 3])
    np.testing.assert_array_equal(pixels(by_size), pixels("sizes.png"))


def test_what_cannot_be_drawn_is_said_clearly() -> None:
    with pytest.raises(ParameterError, match="not an image"):
        poolcli.contact_sheet(np.zeros((4, 4, 7), np.uint8))
    with pytest.raises(ParameterError, match="unpool needs"):
        poolcli.contact_sheet(np.zeros((8, 8), np.uint8), "avg", unpool="dark")
    with pytest.raises(ParameterError):
        poolcli.contact_sheet(np.zeros((8, 8), np.uint8), "max", passes=9)
