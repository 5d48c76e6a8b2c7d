"""Nodata (``ignore=``, ``--ignore``): every mode but stride leaves the value out of its windows,
against numpy's masked and NaN-aware reductions and scipy's mode over the same windows."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image

from poolcli import ParameterError, pool

from .helpers import json_lines, poolimg


def windows(x: np.ndarray, k: int, s: int, pad: int = 0, fill: float = 0) -> np.ndarray:
    """Every window of a 2-D array, ``(rows, cols, k*k)``, padding ``pad`` cells of ``fill``."""
    padded = np.pad(x, pad, constant_values=fill)
    return sliding_window_view(padded, (k, k))[::s, ::s].reshape(
        *sliding_window_view(padded, (k, k))[::s, ::s].shape[:2], k * k
    )


def expected(mode: str, cells: np.ndarray, dtype: np.dtype, value: float) -> float:
    """The reference of one window: the cells left, reduced by numpy or scipy."""
    from scipy import stats

    left = cells[~np.isnan(cells)] if math.isnan(value) else cells[cells != value]
    left = left[~np.isnan(left)] if left.dtype.kind == "f" and mode != "lp" else left
    if left.size == 0:
        return value
    if mode == "max":
        return left.max()
    if mode == "min":
        return left.min()
    if mode == "sum":
        return left.astype(np.float64).sum()
    if mode == "lp":
        return float(np.sqrt((left.astype(np.float64) ** 2).sum()))
    if mode == "mode":
        return stats.mode(left, keepdims=False).mode
    if mode == "avg":
        mean = left.astype(np.float64).mean()
        return mean if dtype.kind == "f" else math.floor(mean + 0.5)
    # median: numpy's for floats; the middle pair's mean, halves up, for integers
    if dtype.kind == "f":
        return float(np.median(left))
    ranked = np.sort(left.astype(np.int64))
    return int((ranked[(ranked.size - 1) // 2] + ranked[ranked.size // 2] + 1) // 2)


MODES = ["max", "min", "avg", "sum", "lp", "median", "mode"]


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "int32", "float32"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("k", "s"), [(2, 2), (3, 2), (3, 1)])
def test_every_mode_leaves_the_value_out_of_each_window(
    dtype: str, mode: str, k: int, s: int
) -> None:
    rng = np.random.default_rng(k * 10 + s)
    x = rng.integers(0, 5, (13, 12)).astype(dtype)  # 0 is nodata: about a fifth of the cells
    x[:4, :4] = 0  # whole windows of it
    out = pool(x, mode, k, s, ignore=0)
    for (i, j), cells in np.ndenumerate(np.empty(out.shape)):
        del cells
        want = expected(mode, windows(x, k, s)[i, j].astype(np.float64), x.dtype, 0)
        assert out[i, j] == pytest.approx(want, rel=1e-6), (mode, i, j)


@pytest.mark.parametrize("mode", MODES)
def test_nan_as_nodata_against_numpys_nan_reductions(mode: str) -> None:
    rng = np.random.default_rng(5)
    x = rng.random((10, 14)).astype(np.float32)
    x[rng.random(x.shape) < 0.3] = np.nan
    x[:2, :2] = np.nan
    out = pool(x, mode, 2, ignore=float("nan"))
    cells = windows(x, 2, 2).astype(np.float64)
    for (i, j), got in np.ndenumerate(out):
        want = expected(mode, cells[i, j], x.dtype, float("nan"))
        if math.isnan(want):
            assert math.isnan(got)
        else:
            assert got == pytest.approx(want, rel=1e-6), (mode, i, j)
    if mode == "avg":  # numpy's own words for it
        with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):
            nanmean = np.nanmean(cells, axis=-1)
        assert np.allclose(out, nanmean, equal_nan=True)


def test_padding_is_never_counted_and_adaptive_windows_leave_it_out_too() -> None:
    x = np.array([[0, 4, 8], [2, 0, 6], [9, 9, 0]], np.uint8)
    same = pool(x, "avg", 2, 2, "same", ignore=0)
    assert same.tolist() == [[3, 7], [9, 0]]  # (4+2)/2, (8+6)/2, 18/2, nodata alone
    adaptive = pool(x, "avg", output_size=(1, 2), ignore=0)
    assert adaptive.tolist() == [[6, 7]]  # columns 0:2 hold 4, 2, 9, 9; 1:3 hold 4, 8, 6, 9


def test_what_ignore_does_not_go_with_is_refused_in_one_line() -> None:
    x = np.zeros((4, 4), np.uint8)
    for kwargs, words in (
        ({"compat": "torch"}, "no torch equivalent"),
        ({"count_pad": True}, "choose one"),
        ({"return_indices": True}, "indices"),
    ):
        with pytest.raises(ParameterError, match=words):
            pool(x, "max" if "return_indices" in kwargs else "avg", ignore=0, **kwargs)
    with pytest.raises(ParameterError, match=r"ignore is a nodata value.*'stride' has none"):
        pool(x, "stride", ignore=0)
    with pytest.raises(ParameterError, match="number or nan"):
        pool(x, "max", ignore="0")


def test_the_command_line_names_the_nodata_and_keeps_it_where_nothing_else_is(
    tmp_path: Path,
) -> None:
    dem = np.full((40, 60), 7, np.uint16)
    dem[:, :30] = 65535  # a sensor's nodata
    dem[::3, 30:] = 4
    Image.fromarray(dem).save(tmp_path / "dem.png")
    run = poolimg("avg", "dem.png", "--ignore", "65535", "-k", "3", "--json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    (output,) = json_lines(run.stdout)[0]["outputs"]
    assert output["path"].endswith("dem_avg_k3_s3_ign65535_p1.png")
    with Image.open(tmp_path / output["path"]) as image:
        out = np.asarray(image)
    assert (out[:, :10] == 65535).all()  # nodata alone stays nodata
    assert np.array_equal(out[:, 10:], pool(dem, "avg", 3, ignore=65535)[:, 10:])
    assert (out[:, 10:] == 6).all()  # (4 + 7 + 7) / 3 in every window
    for args, words in (
        (["--ignore", "zero"], "give a number"),
        (["--ignore", "0", "--linear"], "choose one"),
        (["--ignore", "0", "--compat", "torch"], "no torch equivalent"),
    ):
        run = poolimg("avg", "dem.png", *args, cwd=tmp_path)
        assert run.returncode == 2 and words in run.stderr.decode(), run.stderr
    run = poolimg("max", "dem.png", "--ignore", "0", "--unpool", cwd=tmp_path)
    assert run.returncode == 2 and b"--unpool shows the pixel" in run.stderr


@pytest.mark.parametrize("mode", MODES)
def test_adaptive_windows_leave_the_value_out_in_every_mode(mode: str) -> None:
    from poolcli.core.axes import adaptive_bounds

    rng = np.random.default_rng(11)
    x = rng.integers(0, 4, (17, 13)).astype(np.uint8)
    x[:5, :5] = 0
    out = pool(x, mode, output_size=(5, 4), ignore=0)
    (r0, r1), (c0, c1) = adaptive_bounds(17, 5), adaptive_bounds(13, 4)
    for (i, j), got in np.ndenumerate(out):
        cells = x[r0[i] : r1[i], c0[j] : c1[j]].ravel().astype(np.float64)
        assert got == pytest.approx(expected(mode, cells, x.dtype, 0), rel=1e-6), (i, j)


def test_mode_leaves_out_a_pixel_only_when_every_channel_is_nodata() -> None:
    black, red, blue = (0, 0, 0), (255, 0, 0), (0, 0, 255)
    window = np.array([[black, black], [red, blue]], np.uint8)  # red holds 0 in two channels
    # black is left out; red and blue tie, and the smaller colour channel by channel wins
    assert pool(window, "mode", ignore=0)[0, 0].tolist() == list(blue)
    window[1, 1] = red
    assert pool(window, "mode", ignore=0)[0, 0].tolist() == list(red)
    assert pool(np.zeros((2, 2, 3), np.uint8), "mode", ignore=0)[0, 0].tolist() == [0, 0, 0]
