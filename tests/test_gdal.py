"""GDAL as a third opinion (issue 21): ``gdalwarp -r average|max|min|med|mode`` to a third or a
half of an image's size, on sizes its windows divide, against poolimg's windows of the same
size. Where GDAL's rules agree, the numbers are equal; where they differ, the difference is
the documented one (docs/frameworks.md). Skips, saying so, without GDAL's command-line tools
(``apt-get install gdal-bin``, which .ci/run does)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image

from poolcli import pool

GDALWARP = shutil.which("gdalwarp")
pytestmark = pytest.mark.skipif(GDALWARP is None, reason="GDAL is not installed (gdal-bin)")


def gdal(path: Path, method: str, k: int, *more: str) -> np.ndarray:
    """``path`` resampled by GDAL to a ``k``-th of each side with ``method``."""
    with Image.open(path) as image:
        width, height = image.size
    out = path.with_name(f"{path.stem}_{method}{k}.tif")
    size = ("-ts", str(width // k), str(height // k))
    no_geography = ("-to", "SRC_METHOD=NO_GEOTRANSFORM", "-to", "DST_METHOD=NO_GEOTRANSFORM")
    command = [GDALWARP, "-q", "-overwrite", "-r", method, *size, *no_geography, *more, str(path)]
    subprocess.run([*command, str(out)], check=True, capture_output=True)
    with Image.open(out) as resampled:
        return np.asarray(resampled)


@pytest.fixture
def images(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(2)
    Image.fromarray(rng.integers(0, 256, (48, 60)).astype(np.uint8)).save(tmp_path / "grey.png")
    Image.fromarray(rng.integers(0, 5, (48, 60)).astype(np.uint8)).save(tmp_path / "labels.png")
    return tmp_path / "grey.png", tmp_path / "labels.png"


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize(("method", "mode"), [("average", "avg"), ("max", "max"), ("min", "min")])
def test_average_max_and_min_agree_with_gdal(images, k: int, method: str, mode: str) -> None:
    grey, _ = images
    np.testing.assert_array_equal(gdal(grey, method, k), pool(pixels(grey), mode, k))


def test_odd_medians_agree_and_even_ones_differ_as_documented(images) -> None:
    grey, _ = images
    x = pixels(grey)
    np.testing.assert_array_equal(gdal(grey, "med", 3), pool(x, "median", 3))
    # of an even count GDAL takes the lower middle value; poolimg their mean, half up
    ranked = np.sort(sliding_window_view(x, (2, 2))[::2, ::2].reshape(24, 30, 4), axis=-1)
    np.testing.assert_array_equal(gdal(grey, "med", 2), ranked[..., 1])
    expected = (ranked[..., 1].astype(int) + ranked[..., 2] + 1) // 2
    np.testing.assert_array_equal(pool(x, "median", 2), expected)


@pytest.mark.parametrize("k", [2, 3])
def test_mode_agrees_with_gdal_wherever_one_value_is_the_most_frequent(images, k: int) -> None:
    _, labels = images
    x = pixels(labels)
    theirs, ours = gdal(labels, "mode", k), pool(x, "mode", k)
    windows = sliding_window_view(x, (k, k))[::k, ::k]
    ties = 0
    for i, j in np.ndindex(ours.shape):
        values, counts = np.unique(windows[i, j], return_counts=True)
        most = values[counts == counts.max()]
        if len(most) == 1:
            assert theirs[i, j] == ours[i, j] == most[0], (i, j)
        else:  # a tie: poolimg takes the smallest (scipy's rule); GDAL one of the tied
            ties += 1
            assert ours[i, j] == most.min() and theirs[i, j] in most
    assert ties > 0  # the data has ties, so the rule above was exercised


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image)


@pytest.mark.parametrize("k", [2, 3])
@pytest.mark.parametrize(("method", "mode"), [("average", "avg"), ("max", "max"), ("min", "min")])
def test_nodata_is_left_out_as_gdal_leaves_it_out(
    tmp_path: Path, k: int, method: str, mode: str
) -> None:
    # GDAL's -srcnodata: "all non-NODATA contributing pixels"; a window of nodata alone is
    # nodata (-dstnodata the same value)
    rng = np.random.default_rng(k)
    x = rng.integers(0, 256, (48, 60)).astype(np.uint8)
    x[rng.random(x.shape) < 0.3] = 0
    x[:6, :6] = 0
    Image.fromarray(x).save(tmp_path / "dem.png")
    theirs = gdal(tmp_path / "dem.png", method, k, "-srcnodata", "0", "-dstnodata", "0")
    np.testing.assert_array_equal(theirs, pool(x, mode, k, ignore=0))
