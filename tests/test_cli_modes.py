"""The sum, lp and stochastic commands, the new options, and --unpool, run as a user runs them;
their files read back by readers that share no code with poolcli (pypng, tifffile)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import png
import pytest
import tifffile
from PIL import Image

from poolcli import pool

from . import reference
from .conftest import SAMPLES
from .helpers import assert_clean_stderr, pixels, poolimg, run


def read_png16(path: Path) -> np.ndarray:
    """An (H, W, C) array of a PNG's values, through pypng (any depth, any channels)."""
    width, height, rows, info = png.Reader(filename=str(path)).asDirect()
    values = np.vstack([np.asarray(row, np.int64) for row in rows])
    return values.reshape(height, width, info["planes"])


def block_sums(x: np.ndarray, k: int) -> np.ndarray:
    """Sums of k x k blocks (valid), in int64, by reshaping: an oracle apart from poolcli."""
    h, w = x.shape[0] // k * k, x.shape[1] // k * k
    blocks = x[:h, :w].astype(np.int64).reshape(h // k, k, w // k, k, *x.shape[2:])
    return blocks.sum(axis=(1, 3))


@pytest.fixture
def chelsea(tmp_path: Path) -> Path:
    return Path(shutil.copy(SAMPLES / "chelsea.png", tmp_path / "chelsea.png"))


def test_sums_are_written_whole_then_as_tiff_when_16_bits_are_not_enough(chelsea: Path) -> None:
    done = poolimg("sum", chelsea, "-n", "5", cwd=chelsea.parent)
    assert done.returncode == 0, done.stderr
    assert_clean_stderr(done.stderr)
    out = chelsea.parent / "poolimg-out"
    names = sorted(p.name for p in out.iterdir())
    # 255 * 4**4 = 65,280 fits in 16 bits; 255 * 4**5 does not
    assert names == [f"chelsea_sum_k2_s2_p{i}.png" for i in range(1, 5)] + [
        "chelsea_sum_k2_s2_p5.tif"
    ]
    source = pixels(chelsea).astype(np.int64)
    expected = source
    for i in range(1, 5):
        expected = block_sums(expected, 2)
        np.testing.assert_array_equal(read_png16(out / f"chelsea_sum_k2_s2_p{i}.png"), expected)
    expected = block_sums(expected, 2)
    stored = tifffile.imread(out / "chelsea_sum_k2_s2_p5.tif")
    assert stored.dtype == np.uint32
    np.testing.assert_array_equal(stored, expected)


def test_a_format_that_cannot_hold_sums_clips_and_counts(chelsea: Path) -> None:
    done = poolimg("sum", chelsea, "--format", "jpg", cwd=chelsea.parent)
    assert done.returncode == 0
    sums = block_sums(pixels(chelsea), 2)
    clipped = int((sums > 255).sum())
    assert f"{clipped:,} of {sums.size:,} values clipped: JPEG holds 8 bits" in done.stderr.decode()


def test_lp_is_written_rounded_and_equals_the_library(chelsea: Path) -> None:
    done = poolimg("lp", chelsea, "--power", "3", "-k", "3", "-s", "2", cwd=chelsea.parent)
    assert done.returncode == 0, done.stderr
    written = read_png16(chelsea.parent / "poolimg-out" / "chelsea_lp_k3_s2_pow3_p1.png")
    expected = pool(pixels(chelsea), "lp", 3, 2, power=3.0)
    np.testing.assert_array_equal(written, np.floor(expected.astype(np.float64) + 0.5))


def test_stochastic_runs_repeat_with_a_seed_and_differ_without(chelsea: Path) -> None:
    work = chelsea.parent
    for seed, out in (("7", "a"), ("7", "b"), ("8", "c")):
        assert poolimg("stochastic", chelsea, "--seed", seed, "-o", out, cwd=work).returncode == 0
    a, b, c = (
        pixels(work / d / f"chelsea_stochastic_k2_s2_seed{s}_p1.png")
        for d, s in zip("abc", "778", strict=True)
    )
    np.testing.assert_array_equal(a, b)
    assert (a != c).mean() > 0.3
    # every drawn value is one of its window's own pixels
    source = pixels(chelsea)
    windows = source[: a.shape[0] * 2, : a.shape[1] * 2].reshape(a.shape[0], 2, a.shape[1], 2, 3)
    assert ((windows == a[:, None, :, None, :]).any(axis=(1, 3))).all()
    assert poolimg("stochastic", chelsea, "--eval", "-o", "e", cwd=work).returncode == 0
    evaluated = pixels(work / "e" / "chelsea_stochastic_k2_s2_eval_p1.png")
    reference.assert_identical(evaluated[..., 0], reference.weighted_mean(source[..., 0], 2))


def test_unpool_keeps_each_winner_and_darkens_the_rest(chelsea: Path) -> None:
    done = poolimg("max", chelsea, "-n", "2", "--unpool", "--sheet", cwd=chelsea.parent)
    assert done.returncode == 0, done.stderr
    out = chelsea.parent / "poolimg-out"
    source = pixels(chelsea)
    kept = pixels(out / "chelsea_max_k2_s2_p1_unpool.png")
    assert kept.shape == source.shape
    won = kept > 0
    # each pixel that shows is the photo's own, and each 2x2 block shows its maximum once
    np.testing.assert_array_equal(kept[won], source[won])
    blocks = kept[:300, :450].reshape(150, 2, 225, 2, 3)
    np.testing.assert_array_equal(blocks.max(axis=(1, 3)), pixels(out / "chelsea_max_k2_s2_p1.png"))
    second = pixels(out / "chelsea_max_k2_s2_p2_unpool.png")
    assert second.shape == source.shape and (second > 0).sum() < won.sum()
    with_rows = Image.open(out / "chelsea_max_k2_s2_sheet.png").size
    assert (
        poolimg(
            "max", chelsea, "-n", "2", "--sheet-only", "-o", "plain", cwd=chelsea.parent
        ).returncode
        == 0
    )
    plain = Image.open(chelsea.parent / "plain" / "chelsea_max_k2_s2_sheet.png").size
    assert 1.7 < with_rows[1] / plain[1] < 2.0  # a second row


def test_winners_heat_map_counts_overlapping_windows(tmp_path: Path) -> None:
    # A bright pixel in the middle of a 5x5 grey image wins all four 3x3, stride 2 windows.
    image = np.full((5, 5), 10, np.uint8)
    image[2, 2] = 200
    Image.fromarray(image).save(tmp_path / "dot.png")
    assert (
        poolimg("max", "dot.png", "-k", "3", "-s", "2", "--winners", cwd=tmp_path).returncode == 0
    )
    heat = pixels(tmp_path / "poolimg-out" / "dot_max_k3_s2_p1_winners.png")
    assert heat[2, 2] == 255 and (heat[np.arange(5) != 2].max() == 0)


def test_options_are_in_default_names_so_runs_never_collide(chelsea: Path) -> None:
    work = chelsea.parent
    for args in (
        ["-k", "3", "-s", "1"],
        ["-k", "3", "-s", "1", "-d", "2"],
        ["-k", "3", "-s", "1", "-d", "2x1"],
    ):
        assert poolimg("max", chelsea, *args, cwd=work).returncode == 0
    names = sorted(p.name for p in (work / "poolimg-out").iterdir())
    assert names == [
        "chelsea_max_k3_s1_d2_p1.png",
        "chelsea_max_k3_s1_d2x1_p1.png",
        "chelsea_max_k3_s1_p1.png",
    ]
    dilated = pixels(work / "poolimg-out" / "chelsea_max_k3_s1_d2_p1.png")
    np.testing.assert_array_equal(dilated, pool(pixels(chelsea), "max", 3, 1, dilation=2))


def test_caffe_rules_from_the_command_line(chelsea: Path) -> None:
    done = poolimg(
        "avg", chelsea, "-k", "3", "-s", "2", "-p", "1", "--compat", "caffe", cwd=chelsea.parent
    )
    assert done.returncode == 0, done.stderr
    written = pixels(chelsea.parent / "poolimg-out" / "chelsea_avg_k3_s2_1_caffe_p1.png")
    assert written.shape[:2] == (
        151,
        226,
    )  # ceil((300 + 2 - 3) / 2) + 1, ceil((451 + 2 - 3) / 2) + 1
    np.testing.assert_array_equal(written, pool(pixels(chelsea), "avg", 3, 2, 1, compat="caffe"))


def test_caffe_padding_below_the_window_grows_the_image_within_the_pixel_limit(
    tmp_path: Path,
) -> None:
    Image.fromarray(np.arange(400, dtype=np.uint8).reshape(20, 20)).save(tmp_path / "g.png")
    words = ["max", "g.png", "-k", "3", "-s", "1", "-p", "2", "--compat", "caffe", "-o", "out/"]
    done = poolimg(*words, cwd=tmp_path)  # Caffe accepts pad < kernel; PyTorch refuses 2 > 3/2
    assert done.returncode == 0, done.stderr
    (written,) = (tmp_path / "out").iterdir()
    grown = pixels(written)
    assert grown.shape == (22, 22)  # ceil((20 + 4 - 3) / 1) + 1
    np.testing.assert_array_equal(
        grown, pool(pixels(tmp_path / "g.png"), "max", 3, 1, 2, compat="caffe")
    )
    refused = poolimg(*words, "-n", "2", "--max-pixels", "500", "-o", "more/", cwd=tmp_path)
    assert refused.returncode != 0
    assert b"pass 2 would be 24x24, more than --max-pixels 500 allows" in refused.stderr
    assert not (tmp_path / "more").exists() or not any((tmp_path / "more").iterdir())
    assert poolimg("max", "g.png", "-k", "3", "-p", "2", cwd=tmp_path).returncode == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["max", "x.png", "--power", "3"], "No such option: --power"),
        (["avg", "x.png", "--unpool"], "No such option: --unpool"),
        (
            ["stochastic", "x.png", "--eval", "--unpool"],
            "--unpool shows the pixel each window kept",
        ),
        (["max", "x.png", "--unpool", "--winners"], "give one of them"),
        (["max", "x.png", "--unpool", "--unpool-background", "grey"], "use dark or dim"),
        (["avg", "x.png", "--compat", "keras", "-p", "1"], "Keras pools with padding"),
        (["avg", "x.png", "--compat", "tf"], "use caffe, torch or keras"),
        (["lp", "x.png", "--power", "0"], "above 0"),
        (["max", "x.png", "-d", "0"], "--dilation '0'"),
        (["compare", "x.png", "--unpool", "bright"], "use dark, dim or winners"),
    ],
)
def test_options_that_do_not_fit_are_usage_errors(tmp_path: Path, args, message) -> None:
    Image.new("RGB", (8, 8)).save(tmp_path / "x.png")
    done = poolimg(*args, cwd=tmp_path)
    assert done.returncode == 2
    assert message in done.stderr.decode()
    assert not (tmp_path / "poolimg-out").exists()


def test_compare_knows_every_mode_and_draws_unpooled_rows(chelsea: Path) -> None:
    grid = chelsea.parent / "grid.png"
    done = run(
        "compare",
        chelsea,
        "--modes",
        "max,sum,lp,stochastic",
        "--seed",
        "1",
        "--unpool",
        "dim",
        "-n",
        "2",
        "-o",
        grid,
        "--cell",
        "128",
        "--crop",
        "none",
    )
    assert done.exit_code == 0, done.output
    plain = chelsea.parent / "plain.png"
    assert (
        run(
            "compare",
            chelsea,
            "--modes",
            "max,sum,lp,stochastic",
            "-n",
            "2",
            "-o",
            plain,
            "--cell",
            "128",
            "--crop",
            "none",
        ).exit_code
        == 0
    )
    # two unpooled rows (max, stochastic) under the four pooled ones
    rows_with, rows_without = Image.open(grid).height, Image.open(plain).height
    assert 1.4 < rows_with / rows_without < 1.6


def test_plan_and_global_know_the_new_options(chelsea: Path) -> None:
    done = run("plan", chelsea, "-k", "3", "-s", "1", "-d", "2", "--json")
    assert done.exit_code == 0
    assert '"output": [447, 296]' in done.output
    done = run("sum", chelsea, "--global", "--json")
    assert done.exit_code == 0
    total = pixels(chelsea).astype(np.int64).sum(axis=(0, 1)).tolist()
    assert f'"sum": {total}'.replace(" ", "") in done.output.replace(" ", "")


def test_process_writes_unpooled_pictures_and_refuses_them_for_averages(chelsea: Path) -> None:
    import poolcli

    out = chelsea.parent / "lib"
    report = poolcli.process(
        [str(chelsea)], poolcli.PoolSpec("max", 2), output=str(out), unpool="dim", jobs=1
    )
    kinds = sorted(o.kind for r in report.results for o in r.outputs)
    assert report.exit_code == 0 and kinds == ["pass", "unpool"]
    dim, source = pixels(out / "chelsea_max_k2_s2_p1_unpool.png"), pixels(chelsea)
    faded, kept = dim == source // 4, dim == source
    assert (faded | kept).all() and 0.74 < (faded & ~kept).mean() < 0.76  # 3 of 4 lose
    with pytest.raises(poolcli.ParameterError, match="keeps one pixel"):
        poolcli.process([str(chelsea)], poolcli.PoolSpec("avg", 2), output=str(out), winners=True)


def test_fractional_from_the_command_line(chelsea: Path) -> None:
    done = poolimg(
        "fractional", chelsea, "--ratio", "0.6", "-n", "2", "--seed", "4", cwd=chelsea.parent
    )
    assert done.returncode == 0, done.stderr
    out = chelsea.parent / "poolimg-out"
    first = pixels(out / "chelsea_fractional_k2_r0.6_seed4_p1.png")
    assert first.shape == (180, 270, 3)  # int(300 * 0.6), int(451 * 0.6)
    np.testing.assert_array_equal(first, pool(pixels(chelsea), "fractional", ratio=0.6, seed=4))
    assert pixels(out / "chelsea_fractional_k2_r0.6_seed4_p2.png").shape == (108, 162, 3)
    refused = poolimg("fractional", chelsea, "--stride", "2", cwd=chelsea.parent)
    assert refused.returncode == 2 and "No such option: --stride" in refused.stderr.decode()
