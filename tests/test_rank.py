"""Median and mode pooling (issue 21) against references no one here wrote: ``np.median`` and
``scipy.stats.mode`` over every window (``sliding_window_view``), and a plain loop over the
real cells of padded and dilated windows; label maps through the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image

from poolcli import pool

from . import reference
from .helpers import assert_clean_stderr, poolimg

stats = pytest.importorskip("scipy.stats", reason="scipy (the test extra) is the mode's reference")


def windows(x: np.ndarray, k: int, s: int) -> np.ndarray:
    """Every valid window of a plane, (rows, cols, k * k), in window order."""
    view = sliding_window_view(x, (k, k))[::s, ::s]
    return view.reshape(*view.shape[:2], k * k)


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "int32", "float32", "float64"])
@pytest.mark.parametrize(("k", "s"), [(2, 2), (3, 2), (3, 1), (4, 3)])
def test_median_and_mode_of_valid_windows_equal_numpy_and_scipy(dtype, k, s) -> None:
    rng = np.random.default_rng(k * 10 + s)
    x = rng.integers(0, 6, (17, 14)).astype(dtype)  # few values: ties and repeats
    w = windows(x, k, s)
    median = pool(x, "median", k, s)
    if x.dtype.kind == "f":
        np.testing.assert_array_equal(median, np.median(w, axis=-1).astype(dtype), strict=True)
    else:  # the two middle values' mean, rounded half up
        ranked = np.sort(w.astype(np.int64), axis=-1)
        n = w.shape[-1]
        expected = (ranked[..., (n - 1) // 2] + ranked[..., n // 2] + 1) // 2
        np.testing.assert_array_equal(median, expected.astype(dtype), strict=True)
    mode = pool(x, "mode", k, s)
    np.testing.assert_array_equal(mode, stats.mode(w, axis=-1, keepdims=False).mode.astype(dtype))


def test_median_gives_nan_as_numpy_does() -> None:
    x = np.arange(16, dtype=np.float32).reshape(4, 4)
    x[0, 0] = np.nan
    np.testing.assert_array_equal(pool(x, "median", 2), np.median(windows(x, 2, 2), axis=-1))


@pytest.mark.parametrize("padding", ["same", "ceil", 1])
@pytest.mark.parametrize("dilation", [1, 2])
def test_padded_and_dilated_windows_hold_only_their_real_cells(padding, dilation) -> None:
    rng = np.random.default_rng(5)
    x = rng.integers(0, 4, (3, 11, 13)).astype(np.uint8)

    for name in ("mode", "median"):
        for c in range(3):  # one channel: mode pools channels together
            got = pool(x[c], name, 3, 2, padding, dilation=dilation)
            expected = reference.pool_plane(
                x[c], name, (3, 3), (2, 2), padding, d=(dilation, dilation)
            )
            np.testing.assert_array_equal(got, expected, err_msg=f"{name} {padding} {dilation}")


@pytest.mark.parametrize("padding", ["same", "ceil", 1])
def test_mode_of_float_windows_with_nan_and_padding_takes_a_real_cell(padding) -> None:
    """A NaN equals nothing (each is a run of its own), and a window's padding is no cell:
    the mode is the most frequent real number, or NaN where there is none. Padding was once
    sorted among the numbers as +inf and won windows of a NaN majority: a value no pixel had.
    The reference: each NaN made a number of its own, above every real one, by a plain loop."""
    rng = np.random.default_rng(8)
    x = rng.integers(0, 3, (9, 11)).astype(np.float32)
    x[rng.random(x.shape) < 0.5] = np.nan
    x[:3, :3] = np.nan  # a corner window of only NaNs
    unique = x.astype(np.float64)
    nans = np.isnan(unique)
    unique[nans] = 1000 + np.arange(nans.sum())  # each NaN its own, after every number
    expected = reference.pool_plane(unique, "mode", (3, 3), (2, 2), padding)
    expected[expected >= 1000] = np.nan
    got = pool(x, "mode", 3, 2, padding)
    np.testing.assert_array_equal(got, expected.astype(np.float32))
    assert np.isnan(got[0, 0]) and not np.isinf(got).any()


def test_mode_pools_colours_together_and_invents_none() -> None:
    # two red pixels, one green, one blue in each window: per channel the mode would mix
    # them into colours no pixel had; together, the window's red wins
    red, green, blue = (200, 0, 0), (0, 200, 0), (0, 0, 200)
    rgb = np.array([[red, green], [blue, red]], np.uint8)
    tiled = np.tile(rgb, (3, 4, 1))
    out = pool(tiled, "mode", 2)
    assert {tuple(p) for p in out.reshape(-1, 3)} == {red}
    # ties: the smallest colour, channel by channel
    tie = np.array([[red, green], [green, red]], np.uint8)
    assert tuple(pool(tie, "mode", 2)[0, 0]) == min(red, green)
    # floats and 32-bit labels too
    labels = np.array([[70000, 5], [70000, 5]], np.int32)
    assert pool(labels, "mode", 2).tolist() == [[5]]


def test_a_palette_mask_keeps_its_classes_through_the_command_line(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    classes = rng.integers(0, 5, (48, 64)).astype(np.uint8)
    mask = Image.fromarray(classes, "P")
    palette = [0, 0, 0, 230, 25, 75, 60, 180, 75, 255, 225, 25, 0, 130, 200]
    mask.putpalette(palette + [0] * (768 - len(palette)))
    mask.save(tmp_path / "mask.png")
    run = poolimg("mode", "mask.png", "-k", "2", "-n", "2", "--json", "-o", "out/", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert_clean_stderr(run.stderr)
    (line,) = [json.loads(raw) for raw in run.stdout.decode().splitlines()]
    colours = {tuple(palette[3 * i : 3 * i + 3]) for i in range(5)}
    first = np.asarray(Image.open(tmp_path / line["outputs"][0]["path"]).convert("RGB"))
    assert {tuple(p) for p in first.reshape(-1, 3)} <= colours  # no class invented
    # every output pixel is a class present in its window
    rgb = np.asarray(mask.convert("RGB"))
    for i in range(first.shape[0]):
        for j in range(first.shape[1]):
            window = rgb[2 * i : 2 * i + 2, 2 * j : 2 * j + 2].reshape(-1, 3)
            assert any((window == first[i, j]).all(axis=1))


def test_median_and_mode_commands_refuse_what_they_cannot_do(tmp_path: Path, samples) -> None:
    shutil.copy(samples / "camera.png", tmp_path / "c.png")
    run = poolimg("mode", "c.png", "--unpool", cwd=tmp_path)
    assert run.returncode == 2 and "No such option: --unpool" in run.stderr.decode()
    ok = poolimg("median", "c.png", "-k", "3", "-s", "2", "-o", "out/", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr


@pytest.mark.parametrize("ignore", [None, 3.0])
def test_few_large_adaptive_windows_gathered_a_window_at_a_time(ignore) -> None:
    """Windows larger than they are many (the fuzz campaign's 65535-row image to 4 rows took
    minutes, a loop over each cell's offset): gathered whole, the same values as numpy's per
    window."""
    from poolcli.core.axes import adaptive_bounds

    rng = np.random.default_rng(7)
    x = rng.integers(0, 6, (3, 3001, 211)).astype(np.uint8)
    median = pool(x, "median", output_size=(2, 3), channel_axis=0, ignore=ignore)
    mode = pool(x, "mode", output_size=(2, 3), channel_axis=0, ignore=ignore)
    (r0, r1), (c0, c1) = adaptive_bounds(3001, 2), adaptive_bounds(211, 3)
    for i in range(2):
        for j in range(3):
            window = x[:, r0[i] : r1[i], c0[j] : c1[j]].reshape(3, -1)
            for c in range(3):
                cells = np.sort(window[c][window[c] != ignore] if ignore else window[c])
                n = len(cells)
                middle = (int(cells[(n - 1) // 2]) + int(cells[n // 2]) + 1) // 2
                assert median[c, i, j] == middle
            pixels = window.T
            if ignore is not None:
                pixels = pixels[~np.all(pixels == ignore, axis=1)]
            keys, counts = np.unique(pixels, axis=0, return_counts=True)
            np.testing.assert_array_equal(mode[:, i, j], keys[np.argmax(counts)])


def test_every_cell_of_a_large_window_counts() -> None:
    """A window whose last cell breaks a tie: 60 ones, then 60 zeros, is a tie that goes to
    0; without its last cell it would be 1."""
    x = np.zeros((1, 40, 6), np.uint8)
    x[0, :20, :] = 1  # rows 0-19 of both windows: the first 60 cells of each are ones
    out = pool(x, "mode", output_size=(1, 2), channel_axis=0)  # 2 windows of 120 cells
    assert out.tolist() == [[[0, 0]]]


@pytest.mark.parametrize("padding", ["same", "ceil", 4])
@pytest.mark.parametrize("dilation", [1, 2])
def test_few_large_padded_and_dilated_windows_hold_only_their_real_cells(padding, dilation) -> None:
    """Windows larger than they are many (9x9 windows, a 2x2 to 3x3 output) are gathered a
    window at a time: the same real cells as the plain-Python oracle's."""
    rng = np.random.default_rng(11)
    x = rng.integers(0, 4, (21, 23)).astype(np.uint8)
    for name in ("mode", "median"):
        got = pool(x, name, 9, 8, padding, dilation=dilation)
        expected = reference.pool_plane(x, name, (9, 9), (8, 8), padding, d=(dilation, dilation))
        assert got.size < 81  # fewer windows than cells: the window-at-a-time path
        np.testing.assert_array_equal(got, expected, err_msg=f"{name} {padding} {dilation}")
