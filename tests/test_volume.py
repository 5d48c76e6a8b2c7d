"""3-D pooling (``poolcli.pool3d``, ``unpool3d``) against PyTorch's and Keras 3's 3-D layers,
bit for bit, and a plain-Python loop over windows for integer volumes."""

from __future__ import annotations

from itertools import product
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from poolcli import pool3d, unpool3d
from poolcli.errors import ParameterError

from .helpers import assert_clean_stderr, in_keras, peak_memory_mib, poolimg


@pytest.fixture(scope="module")
def torch():
    """PyTorch, the peer these tests compare with; only the tests that use it skip without it."""
    return pytest.importorskip("torch")


def random_case(rng: np.random.Generator) -> dict:
    k = tuple(int(v) for v in rng.integers(1, 4, 3))
    ceil = bool(rng.random() < 0.3)
    return {
        "shape": tuple(int(v) for v in rng.integers(2, 12, 3)),
        "k": k,
        "s": tuple(int(v) for v in rng.integers(1, 4, 3)),
        "d": tuple(int(v) for v in rng.integers(1, 3, 3)) if rng.random() < 0.3 else (1, 1, 1),
        "ceil": ceil,
        "pad": (0, 0, 0) if ceil else tuple(int(rng.integers(0, n // 2 + 1)) for n in k),
    }


@pytest.mark.parametrize("seed", range(8))
def test_max_values_indices_and_unpool_equal_pytorch(torch, seed: int) -> None:
    F = torch.nn.functional
    rng = np.random.default_rng(seed)
    compared = 0
    for _ in range(40):
        case = random_case(rng)
        dtype = rng.choice([np.float32, np.float64])
        x = (rng.standard_normal((2, *case["shape"])) * 10).astype(dtype)
        x[0].flat[rng.integers(0, x[0].size, 3)] = rng.choice([np.nan, 0.0, -0.0, np.inf])
        t = torch.from_numpy(x)[None]
        try:
            expected, where = F.max_pool3d(
                t, case["k"], case["s"], case["pad"], case["d"], case["ceil"], return_indices=True
            )
        except RuntimeError:  # PyTorch refuses the shape: so do we, tested below
            continue
        padding = "ceil" if case["ceil"] else case["pad"]
        got, got_where = pool3d(
            x, "max", case["k"], case["s"], padding, dilation=case["d"], channel_axis=0,
            return_indices=True,
        )  # fmt: skip
        np.testing.assert_array_equal(got, expected[0].numpy())
        np.testing.assert_array_equal(got_where, where[0].numpy())
        assert np.array_equal(np.signbit(got), np.signbit(expected[0].numpy()))
        try:
            back = F.max_unpool3d(expected, where, case["k"], case["s"], case["pad"], case["shape"])
        except ValueError:  # a shape max_unpool3d cannot name
            continue
        np.testing.assert_array_equal(
            unpool3d(got, got_where, case["shape"], channel_axis=0), back[0].numpy()
        )
        compared += 1
    assert compared > 10


@pytest.mark.parametrize("seed", range(8))
def test_averages_and_lp_equal_pytorch(torch, seed: int) -> None:
    F = torch.nn.functional
    rng = np.random.default_rng(100 + seed)
    compared = 0
    for _ in range(40):
        case = random_case(rng)
        case["d"] = (1, 1, 1)  # PyTorch's averages have no dilation
        x = (rng.standard_normal((2, *case["shape"])) * 10).astype(
            rng.choice([np.float32, np.float64])
        )
        t = torch.from_numpy(x)[None]
        padding = "ceil" if case["ceil"] else case["pad"]
        for counted in (True, False):
            try:
                expected = F.avg_pool3d(
                    t, case["k"], case["s"], case["pad"], case["ceil"], count_include_pad=counted
                )
            except RuntimeError:
                continue
            got = pool3d(x, "avg", case["k"], case["s"], padding, count_pad=counted, channel_axis=0)
            np.testing.assert_array_equal(got, expected[0].numpy())
            compared += 1
        if case["pad"] == (0, 0, 0):
            # p = 1: bit for bit; others within 2 ulp, as in 2-D (docs/frameworks.md): PyTorch's
            # vectorised pow and sqrt are not correctly rounded, numpy's are
            for p in (1.0, 2.0, 3.0):
                try:
                    expected = F.lp_pool3d(t.abs(), p, case["k"], case["s"], case["ceil"])
                except RuntimeError:
                    continue
                got = pool3d(
                    np.abs(x), "lp", case["k"], case["s"], padding, power=p, torch_lp=True,
                    channel_axis=0,
                )  # fmt: skip
                ref = expected[0].numpy()
                ulps = np.abs(got.astype(np.float64) - ref) / np.spacing(np.abs(ref))
                assert ulps.max() <= (0 if p == 1.0 else 2)
    assert compared > 10


@pytest.mark.parametrize("seed", range(4))
def test_adaptive_equals_pytorch(torch, seed: int) -> None:
    F = torch.nn.functional
    rng = np.random.default_rng(200 + seed)
    for _ in range(25):
        shape = tuple(int(v) for v in rng.integers(1, 14, 3))
        out = tuple(int(v) for v in rng.integers(1, 9, 3))
        x = (rng.standard_normal((3, *shape)) * 10).astype(np.float32)
        t = torch.from_numpy(x)[None]
        np.testing.assert_array_equal(
            pool3d(x, "avg", output_size=out, channel_axis=0),
            F.adaptive_avg_pool3d(t, out)[0].numpy(),
        )
        values, where = F.adaptive_max_pool3d(t, out, return_indices=True)
        got, got_where = pool3d(x, "max", output_size=out, channel_axis=0, return_indices=True)
        np.testing.assert_array_equal(got, values[0].numpy())
        np.testing.assert_array_equal(got_where, where[0].numpy())


def oracle(x: np.ndarray, mode: str, k, s, pad: int) -> np.ndarray:
    """Each window's cells listed by plain loops, padding left out; integers exact."""
    n = x.shape
    outs = [(n[i] + 2 * pad - k[i]) // s[i] + 1 for i in range(3)]
    result = np.zeros(outs, np.int64)
    for o in product(*(range(m) for m in outs)):
        cells = [
            int(x[z, y, c])
            for z, y, c in product(
                *(range(o[i] * s[i] - pad, o[i] * s[i] - pad + k[i]) for i in range(3))
            )
            if 0 <= z < n[0] and 0 <= y < n[1] and 0 <= c < n[2]
        ]
        if mode == "avg":
            result[o] = (2 * sum(cells) + len(cells)) // (2 * len(cells))  # halves up
        elif mode == "sum":
            result[o] = sum(cells)
        elif mode == "median":
            cells.sort()
            result[o] = (cells[(len(cells) - 1) // 2] + cells[len(cells) // 2] + 1) // 2
        elif mode == "mode":  # the most frequent; of several, the smallest
            result[o] = min(cells, key=lambda v: (-cells.count(v), v))
        else:
            result[o] = max(cells) if mode == "max" else min(cells)
    return result


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "int32"])
@pytest.mark.parametrize("mode", ["avg", "sum", "max", "min", "median", "mode"])
def test_integers_against_a_plain_loop(dtype: str, mode: str) -> None:
    rng = np.random.default_rng(len(dtype) + len(mode))
    info = np.iinfo(dtype)
    for _ in range(6):
        k = tuple(int(v) for v in rng.integers(1, 4, 3))
        shape = tuple(n + int(v) for n, v in zip(k, rng.integers(0, 6, 3), strict=True))
        s = tuple(int(v) for v in rng.integers(1, 3, 3))
        pad = int(rng.integers(0, min(k) // 2 + 1))
        x = rng.integers(max(info.min, -1000), min(info.max, 100000), shape).astype(dtype)
        if mode == "mode":  # few values: repeats and ties in every window
            x = rng.integers(0, 4, shape).astype(dtype)
        got = pool3d(x, mode, k, s, pad)  # type: ignore[arg-type]
        np.testing.assert_array_equal(got, oracle(x, mode, k, s, pad))
        assert got.dtype == (x.dtype if mode != "sum" else got.dtype)


def test_mode_pools_a_pixels_channels_together_across_slices() -> None:
    """A colour label volume: each window's most frequent colour, ties to the smallest, by a
    plain loop over its real cells (padding left out); never a colour no voxel had, which a
    mode per channel would give. Floats: each NaN a run of its own."""
    rng = np.random.default_rng(21)
    colours = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 0]], np.uint8)
    labels = rng.integers(0, 4, (5, 7, 6))
    volume = colours[labels]  # (D, H, W, 3)
    got = pool3d(volume, "mode", 3, 2, 1, channel_axis=-1)
    n = labels.shape
    for o in product(*(range(m) for m in got.shape[:3])):
        cells = [
            tuple(volume[z, y, c].tolist())
            for z, y, c in product(*(range(2 * o[i] - 1, 2 * o[i] + 2) for i in range(3)))
            if 0 <= z < n[0] and 0 <= y < n[1] and 0 <= c < n[2]
        ]
        assert tuple(got[o].tolist()) == min(cells, key=lambda v: (-cells.count(v), v))
    assert {tuple(p) for p in got.reshape(-1, 3).tolist()} <= {tuple(c) for c in colours.tolist()}
    x = np.full((2, 2, 2), np.nan, np.float32)
    x[0, 0, 0] = 3
    assert pool3d(x, "mode", 2).item() == 3  # seven NaNs, each its own: the one number wins
    assert np.isnan(pool3d(np.full((2, 2, 2), np.nan), "mode", 2, 1, 1)).all()


def test_float_medians_are_numpys_per_window() -> None:
    """Floats: ``np.median`` of each window's real cells (NaN where one is NaN), with padding
    and adaptive windows."""
    rng = np.random.default_rng(11)
    x = rng.standard_normal((5, 7, 6)).astype(np.float32)
    x[1, 2, 3] = np.nan
    got = pool3d(x, "median", 3, 2, 1)
    for o in product(*(range(n) for n in got.shape)):
        lo = [max(0, 2 * i - 1) for i in o]
        window = x[lo[0] : 2 * o[0] + 2, lo[1] : 2 * o[1] + 2, lo[2] : 2 * o[2] + 2]
        np.testing.assert_array_equal(got[o], np.median(window))
    adaptive = pool3d(x, "median", output_size=(2, 3, 4))
    starts = [
        np.floor(np.arange(k) * n / k).astype(int) for n, k in zip(x.shape, (2, 3, 4), strict=True)
    ]
    ends = [
        np.ceil((np.arange(k) + 1) * n / k).astype(int)
        for n, k in zip(x.shape, (2, 3, 4), strict=True)
    ]
    for o in product(range(2), range(3), range(4)):
        window = x[tuple(slice(starts[d][o[d]], ends[d][o[d]]) for d in range(3))]
        np.testing.assert_array_equal(adaptive[o], np.median(window))


def test_keras_3d_layers(tmp_path: Path) -> None:
    """Keras 3's MaxPooling3D, AveragePooling3D (valid and same) and adaptive 3-D layers, on
    channels-last volumes of whole numbers (whose float sums are exact in any order): maxima
    bit for bit; averages within an ulp, because Keras (on JAX) multiplies a window's sum by
    the reciprocal of its count, where PyTorch and poolimg divide (1166 / 12 is 97.166664 in
    float32, 1166 * (1 / 12) is 97.16667); its adaptive averages within 2 (108 comes out
    108.000015)."""
    rng = np.random.default_rng(5)
    x = rng.integers(0, 200, (1, 7, 9, 6, 2)).astype(np.float32)
    body = """
x = arrays["x"]
for padding in ("valid", "same"):
    for name, layer in (("max", keras.layers.MaxPooling3D), ("avg", keras.layers.AveragePooling3D)):
        out[f"{name}-{padding}"] = np.asarray(layer((3, 2, 2), (2, 2, 1), padding=padding)(x))
out["amax"] = np.asarray(keras.layers.AdaptiveMaxPooling3D((3, 4, 5))(x))
out["aavg"] = np.asarray(keras.layers.AdaptiveAveragePooling3D((3, 4, 5))(x))
"""
    got = in_keras(body, {"x": x}, tmp_path)
    volume = x[0]

    def check(ours: np.ndarray, theirs: np.ndarray, mode: str, ulps: int = 1) -> None:
        if mode == "max":
            np.testing.assert_array_equal(ours, theirs)
        else:
            assert (np.abs(ours - theirs) <= ulps * np.spacing(theirs)).all()

    for padding in ("valid", "same"):
        for mode in ("max", "avg"):
            ours = pool3d(volume, mode, (3, 2, 2), (2, 2, 1), padding, channel_axis=-1)  # type: ignore[arg-type]
            check(ours, got[f"{mode}-{padding}"][0], mode)
    for mode in ("max", "avg"):
        ours = pool3d(volume, mode, output_size=(3, 4, 5), channel_axis=-1)  # type: ignore[arg-type]
        check(ours, got[f"a{mode}"][0], mode, ulps=2)  # Keras divides in more steps


@pytest.mark.parametrize(
    ("args", "options", "message"),
    [
        ((np.zeros((4, 4)), "max"), {}, r"a volume is \(D, H, W\)"),
        (
            (np.zeros((4, 4, 4)), "rank"),
            {},
            "mode must be one of max, min, avg, sum, lp, median, mode",
        ),
        ((np.zeros((4, 4, 4)), "max", 5), {}, "does not fit a 4x4x4 volume"),
        ((np.zeros((4, 4, 4)), "avg"), {"return_indices": True}, "only max and min"),
        ((np.zeros((4, 4, 4)), "max", (2, 2)), {}, r"\(depth, rows, cols\) triple"),
        ((np.zeros((4, 4, 4), np.float16), "max"), {}, "float16 is not supported"),
        ((np.zeros((4, 4, 4)), "max", 3, 1, 2), {}, "between 0 and half the window"),
        ((np.zeros((4, 4, 4)), "max"), {"output_size": (2, 0, 2)}, "at least 1"),
    ],
)
def test_bad_arguments_are_refused(args: tuple, options: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        pool3d(*args, **options)


def test_unpool3d_refuses_indices_outside_the_volume() -> None:
    with pytest.raises(ParameterError, match="from 0 to 7 for a 2x2x2 volume"):
        unpool3d(np.ones((1, 1, 1)), np.array([[[8]]]), (2, 2, 2))


def blocks(stack: np.ndarray, k: int) -> np.ndarray:
    """(D, H, W) cut into k x k x k blocks (valid windows at stride k), by reshaping: an
    oracle apart from poolcli."""
    d, h, w = (n // k * k for n in stack.shape)
    cut = stack[:d, :h, :w].astype(np.int64)
    return (
        cut.reshape(d // k, k, h // k, k, w // k, k)
        .transpose(0, 2, 4, 1, 3, 5)
        .reshape(d // k, h // k, w // k, k**3)
    )


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_a_multipage_tiff_pooled_across_its_pages(tmp_path: Path, mode: str) -> None:
    """``poolimg MODE stack.tif -k 2x2x2 -n 2``, as a user runs it: each pass's file has one
    page per output slice, read back by tifffile, equal to 2x2x2 blocks reduced by numpy."""
    import tifffile

    rng = np.random.default_rng(7)
    stack = rng.integers(0, 256, (9, 36, 44), dtype=np.uint8)
    tifffile.imwrite(tmp_path / "stack.tif", stack, photometric="minisblack")
    done = poolimg(mode, tmp_path / "stack.tif", "-k", "2x2x2", "-n", "2", "-o", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert_clean_stderr(done.stderr)
    expected = stack
    for index in (1, 2):
        cells = blocks(expected, 2)
        expected = (
            cells.max(axis=3) if mode == "max" else (2 * cells.sum(axis=3) + 8) // 16
        ).astype(np.uint8)  # exact means, halves rounded up
        written = tifffile.imread(tmp_path / "out" / f"stack_{mode}_k2_s2_depth2_p{index}.tif")
        written = written.reshape(-1, *written.shape[-2:])  # one page: (H, W)
        np.testing.assert_array_equal(written, expected)
    assert expected.shape == (2, 9, 11)  # 9 -> 4 -> 2 pages


def test_an_animation_keeps_its_running_time(tmp_path: Path) -> None:
    from PIL import Image, ImageSequence

    rng = np.random.default_rng(8)
    frames = [Image.fromarray(rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)) for _ in range(5)]
    durations = [100, 120, 80, 100, 60]
    frames[0].save(
        tmp_path / "clip.gif", save_all=True, append_images=frames[1:], duration=durations, loop=0
    )
    done = poolimg(
        "max", tmp_path / "clip.gif", "-k", "2x2x2", "-s", "2x2x1", "-o", tmp_path / "out"
    )
    assert done.returncode == 0, done.stderr
    with Image.open(tmp_path / "out" / "clip_max_k2_s2_depth2s1_p1.gif") as gif:
        got = [frame.info["duration"] for frame in ImageSequence.Iterator(gif)]
        assert gif.size == (25, 20)
    assert got == [100, 120, 80, 160] and sum(got) == sum(durations)  # 4 windows of 2, step 1


def test_plan_says_the_frames_each_pass_leaves(tmp_path: Path) -> None:
    import tifffile

    tifffile.imwrite(tmp_path / "s.tif", np.zeros((7, 60, 80), np.uint8), photometric="minisblack")
    done = poolimg("plan", tmp_path / "s.tif", "-k", "2x2x2", "-n", "2")
    assert done.returncode == 0, done.stderr
    assert b"pass  1: 80x60x7 -> 40x30x3" in done.stdout
    assert b"pass  2: 40x30x3 -> 20x15x1" in done.stdout
    too_many = poolimg("plan", tmp_path / "s.tif", "-k", "2x2x2", "-n", "3")
    assert too_many.returncode == 2, too_many.stderr
    assert b"pass 3 needs at least 2 frames but gets 1; at most 2 passes fit" in too_many.stderr
    assert b"pass  2: 40x30x3 -> 20x15x1" in too_many.stdout  # the passes that fit, as in 2-D
    # -n all stops where the frames run out, as it stops where the pixels do
    every = poolimg("plan", tmp_path / "s.tif", "-k", "2x2x2", "-n", "all")
    assert every.returncode == 0, every.stderr
    assert b"pass  2: 40x30x3 -> 20x15x1" in every.stdout and b"pass  3" not in every.stdout


def test_all_passes_of_a_stack_stop_where_its_frames_run_out(tmp_path: Path) -> None:
    import tifffile

    rng = np.random.default_rng(3)
    stack = rng.integers(0, 256, (9, 64, 64), dtype=np.uint8)
    tifffile.imwrite(tmp_path / "s.tif", stack, photometric="minisblack")
    done = poolimg("max", tmp_path / "s.tif", "-k", "2x2x2", "-n", "all", "-o", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [f"s_max_k2_s2_depth2_p{i}.tif" for i in (1, 2, 3)]  # 9 -> 4 -> 2 -> 1
    expected = stack
    for name in names:
        expected = blocks(expected, 2).max(axis=3)
        pages = tifffile.imread(tmp_path / "out" / name).reshape(-1, *expected.shape[1:])
        np.testing.assert_array_equal(pages, expected)  # one page is read as (H, W)
    final = poolimg(
        "max", tmp_path / "s.tif", "-k", "2x2x2", "-n", "all", "--final-only", "-o", tmp_path / "f"
    )
    assert final.returncode == 0, final.stderr
    assert [p.name for p in (tmp_path / "f").iterdir()] == ["s_max_k2_s2_depth2_p3.tif"]
    fit = poolimg("max", tmp_path / "s.tif", "-k", "2x2x2", "-n", "fit:4", "-o", tmp_path / "t")
    assert fit.returncode == 0, fit.stderr  # 8x8x1 after 3 passes: the frames ran out
    assert b"-n fit:4 stopped at 8x8 after pass 3: the frames ran out" in fit.stderr


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        # too few frames: a plan that cannot run, as a window larger than the image (2)
        (
            ["max", "one.png", "-k", "2x2x2"],
            2,
            "a depth of 2 needs at least 2 frames, but the image has 1",
        ),
        (
            ["max", "s.tif", "-k", "2x2x2", "-n", "2"],
            2,
            "pass 2 needs at least 2 frames but gets 1",
        ),
        (["max", "one.png", "-k", "2x2x2", "--dry-run"], 2, "but the image has 1"),
        (["max", "s.tif", "-k", "1x1x2", "-n", "all"], 2, "pool to (--to WxHxD)"),
        (
            ["stochastic", "s.tif", "-k", "2x2x2"],
            2,
            "takes modes max, min, avg, sum, lp, median, mode; not stochastic",
        ),
        (["compare", "s.tif", "-k", "2x2x2"], 2, "compare pools one frame"),
        (["max", "s.tif", "-k", "2x2x2", "--unpool"], 2, "--unpool works on one frame"),
        (["avg", "s.tif", "-k", "2x2x2", "--html", "p.html"], 2, "--html works on one frame"),
        (["avg", "s.tif", "-k", "2x2x2", "--draft"], 2, "it does not pool frames"),
        (["max", "s.tif", "-k", "2x2x0"], 2, "the depth (frames) is a whole number of at least 1"),
    ],
)
def test_depths_that_cannot_run_say_why(
    tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    import tifffile
    from PIL import Image

    tifffile.imwrite(tmp_path / "s.tif", np.zeros((3, 8, 8), np.uint8), photometric="minisblack")
    Image.new("L", (8, 8)).save(tmp_path / "one.png")
    done = poolimg(*args, "-o", tmp_path / "out", cwd=tmp_path)
    stderr = done.stderr.decode()
    assert done.returncode == code and message in stderr, stderr
    assert stderr.count("error:") == 1 and message in stderr.splitlines()[0]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_stack_is_pooled_a_window_of_frames_at_a_time(tmp_path: Path) -> None:
    """40 pages of 2000x1500 (120 MB decoded): the peak stays far below the decoded stack and
    below its passes, because each page is pooled into its window as it is decoded, each pass
    feeds the next as it pools, and TIFF passes are written a page at a time. The pages
    written equal numpy's maxima."""
    import tifffile

    rng = np.random.default_rng(9)
    page = rng.integers(0, 256, (1500, 2000), dtype=np.uint8)
    stack = np.stack([np.roll(page, i, axis=1) for i in range(40)])
    tifffile.imwrite(tmp_path / "big.tif", stack, photometric="minisblack")

    def pooled(names: list[str], *args: str) -> list[np.ndarray]:
        """The passes ``names`` written, after a run whose peak stays under 100 MiB."""
        code, peak = peak_memory_mib(
            "max", tmp_path / "big.tif", *args, "--max-pixels", "0", "-o", tmp_path / "out"
        )
        assert code == 0
        assert peak < 100, f"peak {peak:.0f} MiB: the stack (120 MB) or a pass was held whole"
        return [tifffile.imread(tmp_path / "out" / f"big_max_{name}.tif") for name in names]

    first, second = pooled(["k2_s2_depth2_p1", "k2_s2_depth2_p2"], "-k", "2x2x2", "-n", "2")
    np.testing.assert_array_equal(first, blocks(stack, 2).max(axis=3))
    np.testing.assert_array_equal(second, blocks(first, 2).max(axis=3))
    # a pass as large as the stack: each output page the larger of two input pages, 117 MB
    (same,) = pooled(["k1_s1_depth2s1_p1"], "-k", "1x1x2", "-s", "1x1x1")
    np.testing.assert_array_equal(same, np.maximum(stack[:-1], stack[1:]))
    # every page into one (a projection): one running maximum, not the 40 pages
    (projection,) = pooled(["to2000x1500_frames1"], "--to", "2000x1500x1")
    np.testing.assert_array_equal(projection, stack.max(axis=0))


def test_a_stack_failing_mid_decode_leaves_no_page_written(tmp_path: Path) -> None:
    """Page 7 of 10 corrupt: the passes written a page at a time as the stack was decoded
    (six pages in) go, temporary files and all; the one line names the file."""
    import tifffile

    page = np.random.default_rng(1).integers(0, 256, (300, 400), dtype=np.uint8)
    with tifffile.TiffWriter(tmp_path / "z.tif") as writer:
        for i in range(10):
            writer.write(np.roll(page, i, axis=1), photometric="minisblack", compression="zlib")
    with tifffile.TiffFile(tmp_path / "z.tif") as tiff:
        start = tiff.pages[6].dataoffsets[0]  # type: ignore[union-attr]
    data = bytearray((tmp_path / "z.tif").read_bytes())
    data[start + 100 : start + 5000] = bytes(4900)
    (tmp_path / "z.tif").write_bytes(data)
    done = poolimg("max", tmp_path / "z.tif", "-k", "2x2x2", "-n", "2", "-o", tmp_path / "out")
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [
        f"poolimg: error: {tmp_path / 'z.tif'}: truncated or corrupt image (decoder error -2)"
    ]
    assert list((tmp_path / "out").iterdir()) == []


def test_to_a_count_of_frames_is_pytorchs_adaptive_pooling(tmp_path: Path, torch) -> None:
    """``--to 11x9!x4``: a 9-page stack to 4 pages of exactly 11x9, equal to
    ``adaptive_max_pool3d`` and, rounded half up, to ``adaptive_avg_pool3d``."""
    import tifffile

    rng = np.random.default_rng(10)
    stack = rng.integers(0, 256, (9, 31, 37), dtype=np.uint8)
    tifffile.imwrite(tmp_path / "s.tif", stack, photometric="minisblack")
    volume = torch.from_numpy(stack.astype(np.float64))[None, None]
    for mode in ("max", "avg"):
        done = poolimg(mode, tmp_path / "s.tif", "--to", "11x9!x4", "-o", tmp_path / "out")
        assert done.returncode == 0, done.stderr
        written = tifffile.imread(tmp_path / "out" / f"s_{mode}_to11x9_frames4.tif")
        layer = getattr(torch.nn.functional, f"adaptive_{mode}_pool3d")
        expected = layer(volume, (4, 9, 11))[0, 0].numpy()
        if mode == "avg":  # exact means of the integers, halves up: within half a level
            assert np.abs(written - expected).max() <= 0.5
        else:
            np.testing.assert_array_equal(written, expected)
    plan = poolimg("plan", tmp_path / "s.tif", "--to", "11x9!x4")
    assert b"pass  1: 37x31x9 -> 11x9x4" in plan.stdout
    assert b"a window of frames at a time" in plan.stdout


@pytest.mark.parametrize(
    ("words", "size", "frames"),
    [
        ("20x15x4", "20x15", 4),
        ("11x9!x4", "11x9!", 4),
        ("x200x2", "x200", 2),
        ("50%x3", "50%", 3),  # a share of each side, and a count of frames
        ("50%>x2", "50%>", 2),
        ("512x", "512x", None),  # a width alone: no frames
        ("50%", "50%", None),
    ],
)
def test_to_takes_a_count_of_frames_after_any_size(words: str, size: str, frames: int) -> None:
    from poolcli.cli.pass_words import ModeOptions, build_spec
    from poolcli.spec.sizes import Target

    spec = build_spec("max", "2", None, "1", "valid", ModeOptions(to=words))
    assert spec.output_size == Target.parse(size) and spec.depth_to == frames


@pytest.mark.parametrize("words", ["50%x0", "x200x0", "512xx3", "50%x"])
def test_to_refuses_a_count_of_frames_it_cannot_pool_to(words: str) -> None:
    from poolcli.cli.pass_words import ModeOptions, build_spec

    with pytest.raises(ValueError, match="--to"):
        build_spec("max", "2", None, "1", "valid", ModeOptions(to=words))


def test_a_stack_to_one_frame_at_its_own_size_is_its_projection(tmp_path: Path) -> None:
    """``--to WxHx1`` at the stack's own size: a maximum intensity projection, as microscopy
    calls it (numpy's max over the pages), with no word that the input was already that size."""
    import tifffile

    rng = np.random.default_rng(12)
    stack = rng.integers(0, 256, (5, 30, 40), dtype=np.uint8)
    tifffile.imwrite(tmp_path / "s.tif", stack, photometric="minisblack")
    done = poolimg("max", tmp_path / "s.tif", "--to", "40x30x1", "-o", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    assert b"already within" not in done.stderr
    written = tifffile.imread(tmp_path / "out" / "s_max_to40x30_frames1.tif")
    np.testing.assert_array_equal(written, stack.max(axis=0))


@pytest.mark.parametrize("mode", ["max", "min", "sum", "avg", "median", "mode"])
def test_frames_pooled_as_decoded_equal_pool3d(mode: str) -> None:
    """The command line's way (each frame's 2-D windows reduced once and folded into the windows
    of frames that read it; or a window stacked), fed a frame at a time as a decoder does, each pass feeding
    the next as it pools, equals pool3d on the whole stack, pass after pass: int padding,
    dilation, counted padding, windows overlapping or apart."""
    from poolcli import PoolSpec
    from poolcli.core.frames import StackChain
    from poolcli.core.geometry import plan_for

    class Kept(dict[int, list[np.ndarray]]):
        def start(self) -> None:
            self.clear()

        def __call__(self, index: int, frame: np.ndarray) -> None:
            self.setdefault(index, []).append(frame)

    rng = np.random.default_rng(len(mode))
    chained = 0
    for _ in range(16):
        depth, step = int(rng.integers(1, 4)), int(rng.integers(1, 4))
        k, s, d = int(rng.integers(1, 4)), int(rng.integers(1, 3)), int(rng.integers(1, 3))
        pad = int(rng.integers(0, k // 2 + 1))
        counted = bool(rng.random() < 0.5) and mode == "avg"
        top = 3 if mode == "mode" else 60000  # few values: repeats in every window
        stack = rng.integers(0, top, (int(rng.integers(depth, 13)), 13, 11, 2)).astype(np.uint16)
        args = dict(
            mode=mode, size=(depth, k, k), stride=(step, s, s), padding=(0, pad, pad),
            dilation=(1, d, d), count_pad=counted, channel_axis=-1,
        )  # fmt: skip
        expected = [pool3d(stack, **args)]  # type: ignore[arg-type]
        if len(expected[0]) >= depth and min(expected[0].shape[1:3]) > (k - 1) * d - 2 * pad:
            expected.append(pool3d(expected[0], **args))  # type: ignore[arg-type]
        spec = PoolSpec(
            mode, k, s, pad, dilation=d, count_pad=counted or None, depth=depth,
            depth_stride=step, passes=len(expected),
        )  # type: ignore[arg-type]  # fmt: skip
        try:
            plan = plan_for(spec, (13, 11))
        except ParameterError:
            continue
        if not spec.pools_frames:  # a depth of 1 at a stride of 1: each frame by itself
            continue
        chained += len(plan) == 2
        kept = Kept()
        chain = StackChain(spec, "s.tif", kept)
        chain.expect(len(stack), plan)
        chain.start()
        for frame in stack:
            chain(frame.transpose(2, 0, 1).copy())  # (C, H, W), as decoded
        for index, want in enumerate(expected, 1):
            got = np.stack([f.transpose(1, 2, 0) for f in kept[index]])
            np.testing.assert_array_equal(got, want)
        assert max(chain.most_held) <= depth
    assert chained >= 3


@pytest.mark.parametrize("mode", ["max", "min", "sum", "avg", "median"])
def test_frames_pooled_to_a_size_as_decoded_equal_pool3d(mode: str) -> None:
    """``--to WxHxD`` fed a frame at a time: PyTorch's adaptive windows across the frames (they
    overlap where D does not divide the count, and repeat where D is larger) and across the
    pixels, equal to pool3d's ``output_size`` on the whole stack; a folded pass holds a total a
    window open, never a window's frames."""
    from poolcli import PoolSpec
    from poolcli.core.frames import StackChain, depth_windows, most_open
    from poolcli.core.geometry import plan_for
    from poolcli.spec.sizes import Target

    class Kept(dict):
        def start(self) -> None:
            self.clear()

        def __call__(self, index: int, frame: np.ndarray) -> None:
            self.setdefault(index, []).append(frame)

    rng = np.random.default_rng(len(mode) + 40)
    for case in range(12):
        count, depth_to = int(rng.integers(1, 12)), int(rng.integers(1, 8))
        height, width = int(rng.integers(1, 14)), int(rng.integers(1, 14))
        to_h, to_w = int(rng.integers(1, height + 1)), int(rng.integers(1, width + 1))
        if case % 3 == 0:  # the frames' own size: windows of one cell, a projection's
            to_h, to_w = height, width
        stack = rng.integers(0, 60000, (count, height, width, 2)).astype(np.uint16)
        expected = pool3d(
            stack,
            mode,
            output_size=(depth_to, to_h, to_w),
            channel_axis=-1,  # type: ignore[arg-type]
        )
        spec = PoolSpec(mode, output_size=Target.parse(f"{to_w}x{to_h}!"), depth_to=depth_to)  # type: ignore[arg-type]
        plan = plan_for(spec, (height, width))
        kept = Kept()
        chain = StackChain(spec, "s.tif", kept)
        chain.expect(count, plan)
        chain.start()
        for frame in stack:
            chain(frame.transpose(2, 0, 1).copy())
        got = np.stack([f.transpose(1, 2, 0) for f in kept[1]])
        np.testing.assert_array_equal(got, expected)
        if mode != "median" and not plan[0].whole:  # a 1x1 output: the 3-D kernel's own sum
            assert chain.most_held == [most_open(depth_windows(spec, count))]


def test_a_still_image_is_a_stack_of_one_frame(tmp_path: Path) -> None:
    """A depth of one frame, or a count to pool to, on a still image: its one frame pooled
    (repeated, for more frames than it has, as PyTorch's adaptive windows repeat cells)."""
    from PIL import Image, ImageSequence

    image = np.random.default_rng(12).integers(0, 256, (8, 10), dtype=np.uint8)
    Image.fromarray(image).save(tmp_path / "one.png")
    done = poolimg("max", tmp_path / "one.png", "-k", "2x2x1", "-s", "2x2x2", "-o", tmp_path / "o")
    assert done.returncode == 0, done.stderr
    with Image.open(tmp_path / "o" / "one_max_k2_s2_depth1s2_p1.png") as written:
        np.testing.assert_array_equal(
            np.asarray(written), image.reshape(4, 2, 5, 2).max(axis=(1, 3))
        )
    done = poolimg("max", tmp_path / "one.png", "--to", "5x4x3", "-o", tmp_path / "o")
    assert done.returncode == 0, done.stderr
    with Image.open(tmp_path / "o" / "one_max_to5x4_frames3.png") as written:
        frames = [np.asarray(frame) for frame in ImageSequence.Iterator(written)]
    assert len(frames) == 3
    for frame in frames:
        np.testing.assert_array_equal(frame, image.reshape(4, 2, 5, 2).max(axis=(1, 3)))


@pytest.mark.parametrize("power", [1.0, 2.0, 3.0, 2.5])
@pytest.mark.parametrize("dtype", ["uint8", "uint16", "int32"])
def test_integer_lp_of_one_slice_is_the_2d_lp(power: float, dtype: str) -> None:
    """Windows one slice deep: pool3d's Lp of an integer volume is, slice by slice, the 2-D
    Lp's, to the bit (the same exact sums, the same root); and the 2x2x2 norm is the root of
    the exact sum of powers."""
    from poolcli import pool

    rng = np.random.default_rng(int(power * 10) + len(dtype))
    v = rng.integers(0, 200, (3, 6, 8)).astype(dtype)
    flat = pool3d(v, "lp", (1, 2, 2), power=power)
    for i in range(3):
        np.testing.assert_array_equal(flat[i], pool(v[i], "lp", 2, power=power))
    deep = pool3d(v[:2], "lp", 2, power=power)
    exact = (blocks(v[:2].astype(np.int64), 2).astype(np.float64) ** power).sum(axis=3)
    np.testing.assert_allclose(deep, exact ** (1 / power), rtol=1e-6)


def _constant_stack(count: int) -> list[np.ndarray]:
    """Frames of 40x30 grey, frame i all 10 i + 5: a window's maximum is its last frame's."""
    return [np.full((1, 30, 40), 10 * i + 5, np.uint8) for i in range(count)]


def test_a_stacks_sheet_shows_a_row_of_slices_for_the_input_and_each_pass() -> None:
    """Each row shows the frames a pass made, labelled with the input frames they stand for,
    as they were pooled: 10 frames at depth 2, twice, leave 5 and then 2."""
    from poolcli import PoolSpec
    from poolcli.core.frames import StackChain
    from poolcli.core.geometry import plan_for
    from poolcli.pictures.slices import SliceRows
    from poolcli.spec.style import SheetStyle

    spec = PoolSpec("max", 1, depth=2, passes=2)
    plan = plan_for(spec, (30, 40))

    class Out:
        def start(self) -> None:
            rows.start()

        def __call__(self, index: int, frame: np.ndarray) -> None:
            rows.add(index, frame)

    chain = StackChain(spec, "s.tif", Out())
    chain.expect(10, plan)
    rows = SliceRows("L", SheetStyle(), 10, chain.windows, [g.output_shape for g in plan])
    chain.start()
    for frame in _constant_stack(10):
        chain(frame)
    assert rows.labels == ["input, 10 frames", "pass 1, 5 frames", "pass 2, 2 frames"]
    projection = SliceRows("L", SheetStyle(), 2, [[(0, 2)]], [(30, 40)])
    assert projection.labels == ["input, 2 frames", "pass 1, 1 frame"]
    shown = [[(c.label, set(np.asarray(c.image).ravel().tolist())) for c in r] for r in rows.rows]
    assert shown[0] == [
        (f"frame {i + 1}", {10 * i + 5})
        for i in (0, 1, 3, 4, 5, 6, 8, 9)  # 8 of 10, spread
    ]
    assert shown[1] == [(f"frames {2 * j + 1}-{2 * j + 2}", {20 * j + 15}) for j in range(5)]
    assert shown[2] == [("frames 1-4", {35}), ("frames 5-8", {75})]
    # one size: 40x30 enlarged 6 times, the most within half the sheet's 512-pixel cell
    assert {c.image.size for r in rows.rows for c in r} == {(240, 180)}


def test_a_stacks_sheet_file_has_its_slices_under_the_passes(tmp_path: Path) -> None:
    """The sheet written for a stack: the usual row (each pass's first frame), then the rows
    of slices, so frames only a later window made (75: frames 7-8; 85: frame 9) are on it."""
    import tifffile

    tifffile.imwrite(
        tmp_path / "s.tif", np.concatenate(_constant_stack(10)), photometric="minisblack"
    )
    done = poolimg("max", tmp_path / "s.tif", "-k", "1x1x2", "-n", "2", "--sheet-only",
                   "--crop", "none", "-o", tmp_path / "out")  # fmt: skip
    assert done.returncode == 0, done.stderr
    (sheet,) = (tmp_path / "out").iterdir()
    pixels = np.asarray(Image.open(sheet).convert("L"))
    area = 240 * 180
    for value in (5, 15, 35, 75, 85, 95):
        assert (pixels == value).sum() >= area, value
    plain = poolimg("max", tmp_path / "s.tif", "-n", "2", "--sheet-only", "--crop", "none",
                    "-o", tmp_path / "plain")  # fmt: skip
    assert plain.returncode == 0
    (flat,) = (tmp_path / "plain").iterdir()
    assert Image.open(sheet).height > Image.open(flat).height + 3 * 180


def test_a_stack_with_fewer_frames_than_its_header_says_fails_in_one_line(tmp_path: Path) -> None:
    """An APNG whose acTL says 3 frames and whose last frame control has no data after it:
    Pillow yields 2 frames without a word, but the windows were placed for 3, so it fails as
    a corrupt file, in one line, with nothing written (found by the fuzz harness: an internal
    error, a KeyError, before)."""
    frames = [Image.new("RGB", (24, 16), (v, v, v)) for v in (10, 200, 90)]
    frames[0].save(tmp_path / "a.png", save_all=True, append_images=frames[1:])
    data = (tmp_path / "a.png").read_bytes()
    last = data.rindex(b"fdAT") - 4  # its length, then the chunk, then its CRC
    length = int.from_bytes(data[last : last + 4], "big")
    (tmp_path / "a.png").write_bytes(data[:last] + data[last + 12 + length :])
    assert Image.open(tmp_path / "a.png").n_frames == 3
    done = poolimg("avg", tmp_path / "a.png", "-k", "2x2x2", "-s", "2x2x1", "-n", "2", "--sheet",
                   "-o", tmp_path / "out")  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == [
        f"poolimg: error: {tmp_path / 'a.png'}: truncated or corrupt image "
        "(its header says 3 frames; 2 decoded)"
    ]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_sums_and_norms_across_frames_keep_every_page(tmp_path: Path) -> None:
    """Sums and Lp norms of a stack outgrow its type: each page is written as a 32-bit TIFF
    page as it is pooled (one page a window, read back by tifffile), equal to numpy's sums
    and to pool3d's norms; a 16-bit PNG asked for keeps the first, and says so."""
    import tifffile

    rng = np.random.default_rng(17)
    stack = rng.integers(0, 65536, (9, 30, 40), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "s.tif", stack, photometric="minisblack")
    done = poolimg("sum", tmp_path / "s.tif", "-k", "2x2x2", "-n", "2", "-o", tmp_path / "o")
    assert done.returncode == 0, done.stderr
    assert_clean_stderr(done.stderr)
    first = tifffile.imread(tmp_path / "o" / "s_sum_k2_s2_depth2_p1.tif")
    assert first.dtype == np.uint32 and first.shape == (4, 15, 20)
    np.testing.assert_array_equal(first, blocks(stack, 2).sum(axis=3))
    second = tifffile.imread(tmp_path / "o" / "s_sum_k2_s2_depth2_p2.tif")
    np.testing.assert_array_equal(second, blocks(first, 2).sum(axis=3))
    done = poolimg("lp", tmp_path / "s.tif", "-k", "2x2x3", "-s", "2x2x2", "-o", tmp_path / "o")
    assert done.returncode == 0, done.stderr
    norms = tifffile.imread(tmp_path / "o" / "s_lp_k2_s2_depth3s2_p1.tif")
    expected = pool3d(stack.astype(np.float32), "lp", (3, 2, 2), (2, 2, 2))
    np.testing.assert_allclose(norms, expected, rtol=1e-6)
    done = poolimg("sum", tmp_path / "s.tif", "-k", "2x2x2", "-f", "png", "-o", tmp_path / "p")
    assert done.returncode == 0
    assert "only the first of 4 frames kept: 16-bit PNG holds one" in done.stderr.decode()


def test_sums_to_a_count_of_frames_are_adaptive_window_sums(tmp_path: Path) -> None:
    """``sum --to 20x15x4`` on 9 pages of 80x60: each output the exact sum of PyTorch's adaptive
    window (``floor(i n / k)`` to ``ceil((i + 1) n / k)`` on every axis), by plain numpy, as
    32-bit TIFF pages; the median and the mode of the same windows by a plain loop; Lp to a
    count is refused in one line."""
    import tifffile

    stack = np.random.default_rng(23).integers(0, 65536, (9, 60, 80), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "s.tif", stack, photometric="minisblack")
    done = poolimg("sum", tmp_path / "s.tif", "--to", "20x15x4", "-o", tmp_path / "o")
    assert done.returncode == 0, done.stderr
    got = tifffile.imread(tmp_path / "o" / "s_sum_to20x15_frames4.tif")

    def bounds(n: int, k: int) -> list[tuple[int, int]]:
        return [(i * n // k, -(-(i + 1) * n // k)) for i in range(k)]

    wide = stack.astype(np.int64)
    expected = [
        [
            [wide[z0:z1, y0:y1, x0:x1].sum() for x0, x1 in bounds(80, 20)]
            for y0, y1 in bounds(60, 15)
        ]
        for z0, z1 in bounds(9, 4)
    ]
    np.testing.assert_array_equal(got, np.array(expected))
    # the median and the mode of the same windows, few values so that modes repeat
    small = (stack % 5).astype(np.uint16)
    tifffile.imwrite(tmp_path / "m.tif", small, photometric="minisblack")
    for mode in ("median", "mode"):
        done = poolimg(mode, tmp_path / "m.tif", "--to", "20x15x4", "-o", tmp_path / "o")
        assert done.returncode == 0, done.stderr
        got = tifffile.imread(tmp_path / "o" / f"m_{mode}_to20x15_frames4.tif")
        for (z, (z0, z1)), (y, (y0, y1)), (x, (x0, x1)) in product(
            enumerate(bounds(9, 4)), enumerate(bounds(60, 15)), enumerate(bounds(80, 20))
        ):
            cells = sorted(small[z0:z1, y0:y1, x0:x1].ravel().tolist())
            if mode == "median":  # the two middle cells' mean, half up
                want = (cells[(len(cells) - 1) // 2] + cells[len(cells) // 2] + 1) // 2
            else:  # the most frequent, the smallest of several
                want = min(cells, key=lambda v: (-cells.count(v), v))
            assert got[z, y, x] == want, (mode, z, y, x)
    refused = poolimg("lp", tmp_path / "s.tif", "--to", "20x15x4", "-o", tmp_path / "o")
    assert refused.returncode == 2
    assert refused.stderr.decode().splitlines() == [
        "poolimg: error: Lp to a count of frames: not yet (give a depth)"
    ]
