"""Anti-aliased pooling (blurpool, maxblurpool) against Kornia 0.9, antialiased-cnns (its
reflected border) and a plain-Python loop over windows with exact fractions."""

from __future__ import annotations

import shutil
from fractions import Fraction
from math import floor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from poolcli import pool, pool_passes
from poolcli.errors import ParameterError
from poolcli.pictures.grid import Shifted

from .conftest import SAMPLES
from .helpers import assert_clean_stderr, json_lines, poolimg

# Measured: over 400 random float32 and float64 maps (1 to 3 channels, 2 to 40 pixels a side,
# 1 to 7 taps, strides 1 to 3, max windows 1 to 3), Kornia's float convolution and ours
# differed by at most 4 ulp of the map's largest magnitude. Ours sums in float64 and rounds once.
ULPS = 4


@pytest.fixture(scope="module")
def kornia():
    """Kornia, the reference these modes are defined by; only its checks skip without it."""
    return pytest.importorskip("kornia", reason="Kornia is not installed: its checks skip")


@pytest.fixture(scope="module")
def antialiased():
    """antialiased-cnns (Zhang's own layers), the reference of ``reflect``."""
    return pytest.importorskip(
        "antialiased_cnns", reason="antialiased-cnns is not installed: its checks skip"
    )


def pascal(taps: int) -> list[int]:
    row = [1]
    for _ in range(taps - 1):
        row = [a + b for a, b in zip([0, *row], [*row, 0], strict=True)]
    return row


def oracle(plane: np.ndarray, m: int, s: int, taps: int, reflect: bool) -> list[list[Fraction]]:
    """The exact blur of one plane: a max over m x m cells at stride 1 (m = 1: none), then the
    binomial blur of ``taps``, zero-padded (or mirrored), at every s-th cell from the first."""
    cells = plane.tolist()
    h, w = len(cells) - m + 1, len(cells[0]) - m + 1
    maxed = [
        [max(cells[i + a][j + b] for a in range(m) for b in range(m)) for j in range(w)]
        for i in range(h)
    ]
    weights, before = pascal(taps), (taps - 1) // 2

    def cell(i: int, j: int) -> int | float:
        if reflect:
            i = -i if i < 0 else (2 * (h - 1) - i if i >= h else i)
            j = -j if j < 0 else (2 * (w - 1) - j if j >= w else j)
        return maxed[i][j] if 0 <= i < h and 0 <= j < w else 0

    total = 4 ** (taps - 1)
    return [
        [
            sum(
                (
                    Fraction(weights[a] * weights[b])
                    * Fraction(cell(oi - before + a, oj - before + b))
                    for a in range(taps)
                    for b in range(taps)
                ),
                Fraction(0),
            )
            / total
            for oj in range(0, w, s)
        ]
        for oi in range(0, h, s)
    ]


def test_kornias_reference_vectors() -> None:
    """The examples of Kornia's documentation, exactly."""
    eye = np.eye(5, dtype=np.float32)
    np.testing.assert_array_equal(
        pool(eye, "maxblurpool", 2, blur=3), np.array([[0.5625, 0.3125], [0.3125, 0.875]])
    )
    np.testing.assert_array_equal(
        pool(eye, "blurpool", 2, blur=3),
        np.array([[0.3125, 0.0625, 0.0], [0.0625, 0.375, 0.0625], [0.0, 0.0625, 0.3125]]),
    )


@pytest.mark.parametrize("seed", range(6))
def test_equal_to_kornia_within_a_few_ulp(kornia, seed: int) -> None:
    import torch

    rng = np.random.default_rng(seed)
    for _ in range(30):
        h, w = (int(v) for v in rng.integers(2, 40, 2))
        dtype = rng.choice([np.float32, np.float64])
        x = rng.standard_normal((int(rng.integers(1, 4)), h, w)) * rng.choice([1e-3, 1, 300])
        x = x.astype(dtype)
        taps, stride = int(rng.integers(1, 8)), int(rng.integers(1, 4))
        t = torch.from_numpy(x)[None]
        if rng.random() < 0.5:
            expected = kornia.filters.blur_pool2d(t, taps, stride=stride)[0].numpy()
            got = pool(x, "blurpool", stride, blur=taps, channel_axis=0)
        else:
            m = int(rng.integers(1, min(h, w, 3) + 1))
            expected = kornia.filters.max_blur_pool2d(t, taps, stride=stride, max_pool_size=m)
            expected = expected[0].numpy()
            got = pool(x, "maxblurpool", m, stride, blur=taps, channel_axis=0)
        assert got.dtype == x.dtype and got.shape == expected.shape
        bound = ULPS * np.spacing(np.abs(x).max())
        assert np.abs(got.astype(np.float64) - expected).max() <= bound


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("dtype", ["uint8", "uint16", "int32", "float32"])
def test_exact_against_a_plain_loop(seed: int, dtype: str) -> None:
    """Integers: the exact weighted mean, halves rounded up (poolimg's averages); floats (here
    multiples of 1/256, whose sums float64 holds exactly): the exact value."""
    rng = np.random.default_rng(seed)
    kind = np.dtype(dtype)
    for _ in range(4):
        mode = str(rng.choice(["blurpool", "maxblurpool"]))
        h, w = (int(v) for v in rng.integers(1, 14, 2))
        m = int(rng.integers(1, 4)) if mode == "maxblurpool" else 1
        taps, stride, reflect = int(rng.integers(1, 8)), int(rng.integers(1, 4)), rng.random() < 0.3
        if kind.kind == "f":
            x = (rng.integers(0, 256 * 255, (h, w)) / 256).astype(kind)
        else:
            info = np.iinfo(kind)
            x = rng.integers(max(info.min, -(2**20)), min(info.max, 2**20) + 1, (h, w))
            x = x.astype(kind)
        size = m if mode == "maxblurpool" else stride
        try:
            got = pool(x, mode, size, stride, blur=taps, reflect=reflect)  # type: ignore[arg-type]
        except ParameterError:
            assert h - m + 1 < 1 or w - m + 1 < 1 or (reflect and min(h, w) - m + 1 <= taps // 2)
            continue
        exact = oracle(x, m, stride, taps, reflect)
        if kind.kind == "f":
            expected = np.array([[float(v) for v in row] for row in exact], kind)
        else:
            expected = np.array([[floor(v + Fraction(1, 2)) for v in row] for row in exact], kind)
        assert got.dtype == kind
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("taps", range(1, 8))
def test_reflect_is_antialiased_cnns_blurpool(antialiased, taps: int) -> None:
    import torch
    import torch.nn.functional as F

    rng = np.random.default_rng(taps)
    for _ in range(10):
        c, h, w = int(rng.integers(1, 4)), int(rng.integers(5, 30)), int(rng.integers(5, 30))
        x = rng.random((c, h, w))
        stride, m = int(rng.integers(1, 4)), int(rng.integers(1, 3))
        layer = antialiased.BlurPool(c, "reflect", filt_size=taps, stride=stride).double()
        t = F.max_pool2d(torch.from_numpy(x)[None], m, stride=1)
        expected = layer(t)[0].numpy()
        got = pool(x, "maxblurpool", m, stride, blur=taps, reflect=True, channel_axis=0)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-14)


def test_a_constant_image_darkens_at_the_zero_padded_edge_only() -> None:
    """Kornia's zero padding, as its documentation says; mirrored padding keeps the constant."""
    flat = np.full((9, 9), 200, np.uint8)
    zero = pool(flat, "blurpool", 2)
    # corners (both ends of a 9-pixel side are sampled) keep 9/16, edges 3/4, the rest all
    assert zero[0, 0] == zero[4, 4] == 113 and zero[0, 2] == zero[2, 4] == 150
    assert zero[1:4, 1:4].min() == 200
    assert (pool(flat, "blurpool", 2, reflect=True) == 200).all()


def test_passes_repeat_the_pass() -> None:
    x = np.random.default_rng(3).integers(0, 256, (64, 48, 3)).astype(np.uint8)
    first, second = pool_passes(x, "maxblurpool", 2, blur=5)
    np.testing.assert_array_equal(second, pool(first, "maxblurpool", blur=5))
    assert second.shape == (16, 12, 3)  # ceil((64 - 1) / 2) = 32, then ceil(31 / 2)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"mode": "max", "blur": 5}, "blur is the size of the anti-aliasing blur"),
        ({"mode": "avg", "reflect": True}, "reflect is the anti-aliasing blur's"),
        ({"mode": "blurpool", "blur": 0}, "blur must be a whole number from 1 to 20"),
        ({"mode": "blurpool", "blur": 21}, "blur must be a whole number from 1 to 20"),
        ({"mode": "maxblurpool", "padding": "same"}, "pads its blur itself"),
        ({"mode": "maxblurpool", "dilation": 2}, "pads its blur itself"),
        ({"mode": "blurpool", "compat": "torch"}, "pads its blur itself"),
        ({"mode": "blurpool", "size": 3, "stride": 2}, "blurpool's only window is its blur"),
        ({"mode": "blurpool", "ignore": 0}, "ignore is a nodata value"),
    ],
)
def test_options_that_do_not_fit_are_refused(options: dict, message: str) -> None:
    x = np.zeros((8, 8), np.uint8)
    with pytest.raises(ParameterError, match=message):
        pool(x, **options)


def test_a_blurpool_stride_alone_is_its_step() -> None:
    x = np.zeros((12, 12), np.uint8)
    assert pool(x, "blurpool", stride=3).shape == pool(x, "blurpool", 3).shape == (4, 4)
    assert pool(x, "blurpool", 4, 4).shape == (3, 3)


def test_an_exact_blur_too_wide_for_the_type_is_refused() -> None:
    with pytest.raises(ParameterError, match=r"over int64 pixels is too large .* at most 1 tap$"):
        pool(np.zeros((8, 8), np.int64), "blurpool", blur=3)
    with pytest.raises(ParameterError, match="use at most 17 taps"):
        pool(np.zeros((8, 8), np.uint32), "blurpool", blur=18)
    top = np.full((40, 40), 2**32 - 1, np.uint32)
    assert pool(top, "blurpool", blur=17)[10, 10] == 2**32 - 1
    low = np.full((40, 40), -(2**31), np.int32)
    assert pool(low, "blurpool", blur=16)[10, 10] == -(2**31)


def test_mirroring_needs_more_cells_than_it_mirrors() -> None:
    with pytest.raises(ParameterError, match="needs at least 4x4 pixels"):
        pool(np.zeros((3, 3), np.uint8), "maxblurpool", 2, blur=5, reflect=True)
    assert pool(np.zeros((4, 4), np.uint8), "maxblurpool", 2, blur=5, reflect=True).shape == (2, 2)


def test_the_commands_write_what_the_library_computes(tmp_path: Path, kornia) -> None:
    """``poolimg maxblurpool`` as a user runs it: the files, read back, are Kornia's values
    rounded (float in, within a half and the ulp bound), and the JSON names them."""
    import torch

    done = poolimg(
        "maxblurpool", SAMPLES / "astronaut.png", "-n", "2", "--blur", "5", "-o", tmp_path, "--json"
    )
    assert done.returncode == 0, done.stderr
    assert_clean_stderr(done.stderr)
    outputs = json_lines(done.stdout)[0]["outputs"]
    assert [Path(o["path"]).name for o in outputs] == [
        "astronaut_maxblurpool_k2_s2_blur5_p1.png",
        "astronaut_maxblurpool_k2_s2_blur5_p2.png",
    ]
    image = np.asarray(Image.open(SAMPLES / "astronaut.png").convert("RGB"))
    current = torch.from_numpy(image.astype(np.float64)).permute(2, 0, 1)[None]
    for output in outputs:
        written = np.asarray(Image.open(output["path"]))
        # each pass pools the last pass's rounded pixels, as the command does
        current = kornia.filters.max_blur_pool2d(current, 5, stride=2)
        expected = current[0].permute(1, 2, 0).numpy()
        assert written.shape == expected.shape
        assert np.abs(written - expected).max() <= 0.5 + 1e-9
        current = torch.from_numpy(written.astype(np.float64)).permute(2, 0, 1)[None]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["max", "--blur", "3"], "No such option: --blur"),
        (["blurpool", "--padding", "same"], "No such option: --padding"),
        (["blurpool", "--blur", "0"], "blur must be a whole number from 1 to 20, not 0"),
        (["blurpool", "-k", "3", "-s", "2"], "blurpool's only window is its blur"),
        (["maxblurpool", "--to", "64x"], "No such option: --to"),
        (["maxblurpool", "-k", "600"], "needs at least 600x600 pixels"),
    ],
)
def test_the_commands_refuse_in_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    shutil.copy(SAMPLES / "astronaut.png", tmp_path / "a.png")
    done = poolimg(*args[:1], tmp_path / "a.png", *args[1:], "-o", tmp_path / "out")
    stderr = done.stderr.decode()
    assert done.returncode == 2 and message in stderr, stderr
    assert len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_shift_changes_the_blurred_modes_less(samples: Path) -> None:
    """Zhang's point, on every sample photo: a one-pixel shift changes max pooling's output more
    than maxblurpool's, and strided subsampling's more than blurpool's (means over the photo)."""

    def change(image: np.ndarray, mode: str) -> float:
        shifted = Shifted(1)
        shifted.add(pool(image, mode), pool(image[1:, 1:], mode))  # type: ignore[arg-type]
        return shifted.means[0]

    for path in sorted(samples.glob("*.[jp][pn]g")):
        image = np.asarray(Image.open(path).convert("RGB"))
        assert change(image, "maxblurpool") < change(image, "max"), path.name
        assert change(image, "blurpool") < change(image, "stride"), path.name


def test_shifted_measures_where_both_passes_have_pixels() -> None:
    before = np.zeros((3, 4, 3), np.uint8)
    after = np.full((2, 5, 3), 6, np.uint8)
    after[0, 0] = (0, 30, 3)
    shifted = Shifted(1)
    shifted.add(before, after)
    assert shifted.changes[0].shape == (2, 4)  # the overlap
    assert shifted.changes[0][0, 0] == 30  # the largest channel's change
    assert shifted.means[0] == pytest.approx((6 * 3 * 7 + 33) / 24)


def test_compare_shift_adds_two_rows_under_each_mode(tmp_path: Path) -> None:
    shutil.copy(SAMPLES / "rocket.jpg", tmp_path / "r.jpg")
    plain = poolimg(
        "compare", tmp_path / "r.jpg", "--modes", "max,maxblurpool", "-o", tmp_path / "p.png"
    )
    done = poolimg(
        "compare",
        tmp_path / "r.jpg",
        "--modes",
        "max,maxblurpool",
        "--shift",
        "1",
        "-o",
        tmp_path / "s.png",
    )
    assert plain.returncode == done.returncode == 0, done.stderr
    assert_clean_stderr(done.stderr)
    with Image.open(tmp_path / "p.png") as p, Image.open(tmp_path / "s.png") as s:
        assert s.height > 2 * p.height  # the whole photo and 2 rows -> the photo and 6 rows
    far = poolimg("compare", tmp_path / "r.jpg", "--shift", "427", "-o", tmp_path / "f.png")
    assert far.returncode == 2 and b"leaves nothing of a 640x427 image" in far.stderr
    assert len(far.stderr.strip().splitlines()) == 1 and not (tmp_path / "f.png").exists()


def test_plan_gives_the_blur_modes_sizes(tmp_path: Path) -> None:
    """``plan -m``: the blur modes' outputs are ceil(n / s) (blurpool) and ceil((n - k + 1) / s)
    (maxblurpool), not max pooling's floor((n - k) / s) + 1."""
    Image.new("RGB", (7, 5)).save(tmp_path / "p.png")
    sizes = {}
    for mode in ("max", "blurpool", "maxblurpool"):
        done = poolimg("plan", tmp_path / "p.png", "-m", mode, "--json")
        assert done.returncode == 0, done.stderr
        sizes[mode] = json_lines(done.stdout)[0]["passes"][0]["output"]
    assert sizes == {"max": [3, 2], "blurpool": [4, 3], "maxblurpool": [3, 2]}
    x = np.zeros((5, 7), np.uint8)
    assert pool(x, "blurpool").shape == (3, 4) and pool(x, "maxblurpool", 3, 2).shape == (2, 3)
