"""The numeric core against hand-computed answers, a plain-Python oracle, Pillow and PyTorch."""

from __future__ import annotations

import itertools
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from poolcli import ParameterError, output_shape, plan_passes, pool, pool_passes

from . import reference

SEED = np.array([[3, 2, 0, 0], [0, 7, 1, 3], [5, 2, 3, 0], [0, 9, 2, 3]], dtype=np.uint8)


def test_worked_example_max_and_avg() -> None:
    assert pool(SEED, "max", size=2, stride=2).tolist() == [[7, 3], [9, 3]]
    # (3+2+0+7)/4 = 3, (0+0+1+3)/4 = 1, (5+2+0+9)/4 = 4, (3+0+2+3)/4 = 2
    assert pool(SEED, "avg", size=2, stride=2).tolist() == [[3, 1], [4, 2]]


def test_worked_example_min_and_stride() -> None:
    assert pool(SEED, "min").tolist() == [[0, 0], [0, 0]]
    assert pool(SEED, "stride").tolist() == [[3, 0], [5, 3]]


def test_avg_rounds_half_up() -> None:
    x = np.array([[1, 2], [2, 1]], np.uint8)  # mean 1.5
    assert pool(x, "avg").item() == 2
    x = np.array([[1, 1], [1, 2]], np.uint8)  # mean 1.25
    assert pool(x, "avg").item() == 1
    x = np.array([[-3, -2], [-2, -3]], np.int32)  # mean -2.5 rounds up to -2
    assert pool(x, "avg").item() == -2


def test_stride_mode_with_size_one_is_plain_slicing(astronaut: np.ndarray) -> None:
    out = pool(astronaut, "stride", size=1, stride=3)
    assert np.array_equal(out, astronaut[::3, ::3])


def test_global_pooling_gives_one_pixel_per_channel(astronaut: np.ndarray) -> None:
    assert pool(astronaut, "max", size="global").shape == (1, 1, 3)
    assert np.array_equal(pool(astronaut, "max", size="global")[0, 0], astronaut.max(axis=(0, 1)))
    assert np.array_equal(pool(astronaut, "min", size="global")[0, 0], astronaut.min(axis=(0, 1)))
    means = astronaut.reshape(-1, 3).astype(np.int64).sum(axis=0)
    expected = (2 * means + astronaut.shape[0] * astronaut.shape[1]) // (2 * 512 * 512)
    assert np.array_equal(pool(astronaut, "avg", size="global")[0, 0], expected)


@pytest.mark.parametrize(
    ("n", "k", "s", "padding", "expected"),
    [
        (5, 2, 2, "valid", 2),  # the fifth cell is dropped
        (5, 2, 2, "ceil", 3),  # the last window holds one real cell
        (5, 2, 2, "same", 3),
        (7, 3, 2, "same", 4),  # Keras: ceil(7 / 2)
        (6, 3, 3, "ceil", 2),  # exact fit: ceil adds nothing
        (5, 3, 3, "ceil", 2),
        (4, 2, 3, "ceil", 2),  # last window would start at 3 < 4: kept
        (3, 2, 2, "ceil", 2),  # last window starts at 2 < 3: kept
        (5, 3, 2, 1, 3),  # PyTorch padding=1: floor((5 + 2 - 3) / 2) + 1
        (1, 2, 2, "ceil", 1),
    ],
)
def test_output_sizes_follow_the_documented_formulas(
    n: int, k: int, s: int, padding, expected: int
) -> None:
    assert output_shape((n, n), size=k, stride=s, padding=padding) == (expected, expected)


def test_size_and_stride_may_differ_per_axis() -> None:
    x = np.arange(6 * 9, dtype=np.uint16).reshape(6, 9)
    out = pool(x, "max", size=(2, 3), stride=(2, 3))
    assert out.shape == (3, 3)
    assert np.array_equal(out, reference.pool(x, "max", (2, 3), (2, 3), "valid"))


images = st.integers(1, 11).flatmap(
    lambda h: st.integers(1, 11).flatmap(
        lambda w: st.sampled_from([None, 1, 3, 4]).flatmap(
            lambda c: st.sampled_from(["uint8", "uint16", "int32", "float32", "float64"]).flatmap(
                lambda dt: hnp.arrays(
                    dt,
                    (h, w) if c is None else (h, w, c),
                    elements=st.floats(-1e6, 1e6, width=32) if dt.startswith("float") else None,
                )
            )
        )
    )
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    image=images,
    mode=st.sampled_from(["max", "avg", "min", "stride"]),
    k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    s=st.none() | st.tuples(st.integers(1, 4), st.integers(1, 4)),
    padding=st.sampled_from(["valid", "same", "ceil", 0, 1, 2, 3]),
    planar=st.booleans(),
)
def test_core_equals_plain_python_reference(image, mode, k, s, padding, planar) -> None:
    stride = k if s is None else s
    if isinstance(padding, int) and padding > min(k) // 2:
        with pytest.raises(ParameterError, match="padding"):
            pool(image, mode, size=k, stride=s, padding=padding)
        return
    axis = -1
    if planar and image.ndim == 3:
        image, axis = np.ascontiguousarray(np.moveaxis(image, -1, 0)), 0
    expected = reference.pool(image, mode, k, stride, padding, channel_axis=axis)
    if expected is None:
        with pytest.raises(ParameterError, match="needs at least"):
            pool(image, mode, size=k, stride=s, padding=padding, channel_axis=axis)
        return
    got = pool(image, mode, size=k, stride=s, padding=padding, channel_axis=axis, threads=1)
    reference.assert_identical(got, expected)


@pytest.mark.parametrize("mode", ["max", "avg", "min", "stride"])
@pytest.mark.parametrize(
    ("k", "s", "padding"), [(2, 2, "valid"), (3, 2, "same"), (3, 2, 1), (2, 2, "ceil")]
)
def test_bands_and_threads_change_nothing(mode: str, k: int, s: int, padding) -> None:
    # Tall enough for many bands per thread, odd sizes so the edges are partial.
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (3, 1201, 1503), dtype=np.uint8)
    one = pool(x, mode, k, s, padding, channel_axis=0, threads=1)
    two = pool(x, mode, k, s, padding, channel_axis=0, threads=2)
    np.testing.assert_array_equal(one, two)
    # spot-check the band edges against the oracle on a crop that keeps the geometry
    crop = x[:, :40, :40]
    np.testing.assert_array_equal(
        pool(crop, mode, k, s, padding, channel_axis=0),
        reference.pool(crop, mode, (k, k), (s, s), padding, channel_axis=0),
    )


def test_interleaved_and_planar_layouts_agree(astronaut: np.ndarray) -> None:
    planar = np.ascontiguousarray(astronaut.transpose(2, 0, 1))
    for mode in ("max", "avg", "min", "stride"):
        a = pool(astronaut, mode, size=3, stride=2)
        b = pool(planar, mode, size=3, stride=2, channel_axis=0)
        np.testing.assert_array_equal(a, b.transpose(1, 2, 0))
        assert a.flags.c_contiguous


@pytest.mark.parametrize("factor", [2, 4, 8])
def test_avg_equals_pillow_reduce_on_a_photo(astronaut: np.ndarray, factor: int) -> None:
    from PIL import Image

    expected = np.asarray(Image.fromarray(astronaut).reduce(factor))
    np.testing.assert_array_equal(pool(astronaut, "avg", size=factor), expected)


@pytest.mark.parametrize("dtype", ["uint16", "int32", "float32", "float64"])
def test_avg_of_deep_and_float_images_on_a_photo(astronaut: np.ndarray, dtype: str) -> None:
    x = (astronaut[:60, :60].astype(np.float64) * 257.3 - 9000).astype(dtype, casting="unsafe")
    if dtype == "uint16":
        x = astronaut[:60, :60].astype(np.uint16) * 257 + 3
    reference.assert_identical(
        pool(x, "avg", size=3, stride=2), reference.pool(x, "avg", (3, 3), (2, 2), "valid")
    )


def test_passes_yield_each_result_and_check_the_plan_first() -> None:
    x = np.arange(64, dtype=np.uint8).reshape(8, 8)
    results = list(pool_passes(x, "max", passes=3))
    assert [r.shape for r in results] == [(4, 4), (2, 2), (1, 1)]
    assert results[-1].item() == 63
    with pytest.raises(
        ParameterError, match="pass 4 needs at least 2x2 pixels but gets 1x1; at most 3 passes fit"
    ):
        pool_passes(x, "max", passes=4)  # raises before yielding anything


def test_all_passes_stops_when_the_image_stops_shrinking() -> None:
    assert [g.output_shape for g in plan_passes((4000, 6000), "all")][-1] == (1, 2)
    assert len(plan_passes((4000, 6000), "all")) == 11
    # 'same' never fails, so 'all' must stop on its own
    assert [g.output_shape for g in plan_passes((5, 5), "all", padding="same")] == [
        (3, 3),
        (2, 2),
        (1, 1),
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"size": 0}, "size must be at least 1"),
        ({"stride": -1}, "stride must be at least 1"),
        ({"size": 2, "padding": 2}, "padding 2 must be between 0 and half the window"),
        ({"size": 5, "padding": 3}, r"padding 3 must be between 0 and half the window \(2 for"),
        ({"size": 2**31}, "size must be at most 2147483647"),
        ({"size": (1, 9999999999)}, "size must be at most"),
        ({"padding": "full"}, "padding must be one of valid, same, ceil"),
        (
            {"size": 5},
            "size 5x5 needs at least 5x5 pixels with padding 'valid', but the image is 4x4",
        ),
        ({"size": "big"}, "size must be an int or a .rows, cols. pair"),
        ({"threads": 0}, "threads must be None"),
    ],
)
def test_parameters_that_cannot_work_name_themselves(kwargs, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        pool(SEED, "max", **kwargs)


def test_bad_images_are_refused_clearly() -> None:
    with pytest.raises(ParameterError, match="dtype int8 is not supported"):
        pool(SEED.astype(np.int8), "max")
    with pytest.raises(ParameterError, match="must be 2-D"):
        pool(np.zeros((2, 2, 2, 2), np.uint8), "max")
    with pytest.raises(ParameterError, match="mode must be one of"):
        pool(SEED, "majority")  # type: ignore[arg-type]
    with pytest.raises(ValueError):  # a ParameterError is a ValueError too
        pool(np.zeros((0, 4), np.uint8), "max")


def test_import_pulls_in_no_pillow_typer_or_rich() -> None:
    # numpy too: `poolimg --version` must not pay for it. Using the core loads numpy only.
    code = "import sys, poolcli; print(sorted(m for m in ('PIL', 'typer', 'rich', 'click', 'numpy') if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
    code = "import sys, poolcli; poolcli.pool; print('PIL' in sys.modules, 'numpy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "True"]


@pytest.fixture(scope="module")
def torch():
    """PyTorch, the peer these tests compare with; only the tests that use it skip without it."""
    return pytest.importorskip("torch")


class TestAgainstPyTorch:
    @pytest.mark.parametrize("dtype", ["float32", "float64"])
    @pytest.mark.parametrize(
        ("k", "s", "pad", "ceil"),
        [
            (2, 2, 0, False),
            (3, 2, 1, False),
            (3, 2, 0, True),
            (2, 1, 1, False),
            (4, 3, 2, False),
            (5, 3, 0, True),
        ],
    )
    def test_max_and_avg_equal_pytorch_bit_for_bit(
        self, torch, astronaut, dtype, k, s, pad, ceil
    ) -> None:
        x = np.ascontiguousarray(astronaut[:301, :299].transpose(2, 0, 1)).astype(dtype) / 7.3
        t = torch.from_numpy(x)[None]
        padding = "ceil" if ceil and pad == 0 else pad
        expected_max = torch.nn.functional.max_pool2d(t, k, s, pad, ceil_mode=ceil)[0].numpy()
        expected_avg = torch.nn.functional.avg_pool2d(
            t, k, s, pad, ceil_mode=ceil, count_include_pad=False
        )[0].numpy()
        np.testing.assert_array_equal(
            pool(x, "max", k, s, padding, channel_axis=0), expected_max, strict=True
        )
        np.testing.assert_array_equal(
            pool(x, "avg", k, s, padding, channel_axis=0), expected_avg, strict=True
        )

    def test_min_is_minus_max_of_minus(self, torch, astronaut) -> None:
        x = np.ascontiguousarray(astronaut.transpose(2, 0, 1)).astype(np.float32)
        expected = -torch.nn.functional.max_pool2d(-torch.from_numpy(x)[None], 3, 2, 1)[0].numpy()
        np.testing.assert_array_equal(pool(x, "min", 3, 2, 1, channel_axis=0), expected)

    def test_nan_propagates_through_max_like_pytorch(self, torch) -> None:
        x = np.arange(16, dtype=np.float32).reshape(1, 4, 4)
        x[0, 1, 1] = np.nan
        expected = torch.nn.functional.max_pool2d(torch.from_numpy(x)[None], 2)[0].numpy()
        np.testing.assert_array_equal(pool(x, "max", 2, channel_axis=0), expected)

    def test_signed_zeros_and_large_windows_equal_pytorch(self, torch) -> None:
        rng = np.random.default_rng(7)
        x = rng.choice(np.array([0.0, -0.0, -1.0, -2.0], np.float32), (2, 23, 31))
        t = torch.from_numpy(x)[None]
        for k, s in [(2, 2), (3, 1), ((1, 3), (1, 2)), ((23, 31), 1)]:
            expected = torch.nn.functional.max_pool2d(t, k, s)[0].numpy()
            reference.assert_identical(pool(x, "max", k, s, channel_axis=0), expected)
        y = rng.random((3, 40, 3000), dtype=np.float32)
        expected = torch.nn.functional.avg_pool2d(torch.from_numpy(y)[None], (40, 1000))[0].numpy()
        reference.assert_identical(pool(y, "avg", (40, 1000), channel_axis=0), expected)


def test_max_and_min_keep_the_first_zero_of_a_window() -> None:
    # +0.0 and -0.0 are equal; the first in the window (row by row) wins, as in PyTorch.
    x = np.array([[0.0, -0.0], [-0.0, -0.0]], np.float32)
    assert not np.signbit(pool(x, "max")).any()
    x = np.array([[-1.0, 0.0], [-0.0, -5.0]], np.float32)
    assert not np.signbit(pool(x, "max")).any()
    x = np.array([[-0.0, 0.0], [0.0, 0.0]], np.float64)
    assert np.signbit(pool(x, "max")).all() and np.signbit(pool(x, "min")).all()
    rng = np.random.default_rng(3)
    for shape, k, s, padding in [
        ((9, 14), 2, 2, "valid"),
        ((9, 14), 3, 2, "same"),
        ((5, 9), (1, 3), (1, 2), "ceil"),
    ]:
        x = rng.choice(np.array([0.0, -0.0, 1.0, -1.0], np.float32), shape)
        for mode in ("max", "min"):
            kk = k if isinstance(k, tuple) else (k, k)
            ss = s if isinstance(s, tuple) else (s, s)
            reference.assert_identical(
                pool(x, mode, k, s, padding), reference.pool(x, mode, kk, ss, padding)
            )


# Window shapes one row (or column) high over short even and odd widths, every stride up to
# 3, every padding: the corner where the split column planes meet a padded window.
@pytest.mark.parametrize("dtype", ["uint8", "float32"])
@pytest.mark.parametrize("mode", ["max", "avg"])
def test_every_thin_window_on_small_images_equals_the_reference(dtype: str, mode: str) -> None:
    rng = np.random.default_rng(5)
    for rows in (1, 3):
        for cols in range(1, 9):
            x = rng.integers(0, 200, (rows, cols)).astype(dtype)
            for kr, kc, sr, sc in itertools.product((1, 2), range(1, 7), (1, 2), (1, 2, 3)):
                for padding in ("valid", "same", "ceil", 0, 1):
                    for k, s in (((kr, kc), (sr, sc)), ((kc, kr), (sc, sr))):
                        if isinstance(padding, int) and padding > min(k) // 2:
                            continue
                        y = x if k == (kr, kc) else np.ascontiguousarray(x.T)
                        expected = reference.pool(y, mode, k, s, padding)
                        if expected is None:
                            continue
                        got = pool(y, mode, k, s, padding, threads=1)
                        reference.assert_identical(got, expected)


@pytest.mark.parametrize("dtype", ["uint8", "int32", "float32", "float64"])
@pytest.mark.parametrize("mode", ["max", "avg", "min", "stride"])
@pytest.mark.parametrize("padding", ["valid", "same", "ceil", 3])
def test_few_large_windows_equal_the_reference(dtype: str, mode: str, padding) -> None:
    # Few windows, each larger than the number of windows: pooled one window at a time.
    from poolcli.core.geometry import checked_geometry
    from poolcli.core.kernels.per_window import few_windows
    from poolcli.core.reducers import REDUCERS

    rng = np.random.default_rng(11)
    x = (rng.random((2, 50, 41)) * 1000 - (0 if dtype == "uint8" else 500)).astype(dtype)
    geom = checked_geometry((50, 41), (30, 35), (20, 25), padding)
    assert mode == "stride" or few_windows(REDUCERS[mode], x, geom)
    reference.assert_identical(
        pool(x, mode, (30, 35), (20, 25), padding, channel_axis=0),
        reference.pool(x, mode, (30, 35), (20, 25), padding, channel_axis=0),
    )


def test_global_float_average_is_as_close_as_numpy_mean() -> None:
    x = np.full((2000, 3000), 0.7, np.float32)
    assert pool(x, "avg", size="global").item() == np.float32(0.7)
    rng = np.random.default_rng(2)
    y = rng.random((3, 700, 900), dtype=np.float32) * 1000
    got = pool(y, "avg", size="global", channel_axis=0)[:, 0, 0]
    expected = y.mean(axis=(1, 2), dtype=np.float64).astype(np.float32)
    reference.assert_identical(got, expected)
    assert (got <= y.max(axis=(1, 2))).all() and (got >= y.min(axis=(1, 2))).all()


def test_global_integer_average_is_exact_for_every_dtype() -> None:
    rng = np.random.default_rng(4)
    for dtype in ("uint8", "uint16", "int32"):
        info = np.iinfo(dtype)
        x = rng.integers(max(info.min, -(2**30)), min(info.max, 2**30), (2, 301, 333)).astype(dtype)
        total = [sum(int(v) for v in plane.ravel()) for plane in x]
        n = 301 * 333
        expected = np.array([(2 * t + n) // (2 * n) for t in total], dtype)
        reference.assert_identical(pool(x, "avg", size="global", channel_axis=0)[:, 0, 0], expected)


def test_windows_far_wider_than_the_image_cost_no_more_than_the_image() -> None:
    # 'same' padding places one window of 2**31-1 cells over a 3x5 image; the work must not
    # grow with the window (this would loop two billion times if it did).
    x = np.arange(15, dtype=np.uint8).reshape(3, 5)
    got = pool(x, "avg", size=2**31 - 1, stride=1, padding="same")
    expected = reference.pool(x, "avg", (2**31 - 1,) * 2, (1, 1), "same")
    reference.assert_identical(got, expected)
    assert output_shape((3, 5), size=2**31 - 1, padding="ceil") == (1, 1)


def test_smallest_image_a_pass_needs_is_found_by_arithmetic() -> None:
    # Each message's minimum is the least size on which the geometry places a window.
    for k, s, padding in itertools.product(range(1, 7), range(1, 5), ["valid", "ceil", 0, 1, 2, 3]):
        if isinstance(padding, int) and padding > k // 2:
            continue
        need = next(n for n in range(1, 20) if reference.axis_windows(n, k, s, padding))
        if need > 1:
            with pytest.raises(ParameterError, match=f"needs at least {need}x{need} pixels"):
                output_shape((need - 1, need - 1), size=k, stride=s, padding=padding)
        assert output_shape((need, need), size=k, stride=s, padding=padding)


def test_a_plan_that_does_not_fit_says_which_passes_do() -> None:
    from poolcli.core.geometry import PlanError

    with pytest.raises(PlanError) as caught:
        plan_passes((10, 10), passes=5)
    assert [g.output_shape for g in caught.value.fits] == [(5, 5), (2, 2), (1, 1)]
    with pytest.raises(ParameterError, match="passes must be a whole number from 1 to 10000"):
        plan_passes((10, 10), passes=10**9)


@pytest.mark.parametrize("padding", ["same", "ceil", 1, 2])
def test_padded_averages_in_many_bands_equal_the_reference(monkeypatch, padding) -> None:
    # Overhanging windows are divided apart from the rest (edge rows and columns only); with
    # bands of a few rows, every band edge and image edge is checked against the oracle.
    from poolcli.core.kernels import bands

    monkeypatch.setattr(bands, "BAND_BYTES", 1 << 10)
    rng = np.random.default_rng(12)
    x = rng.integers(0, 256, (2, 61, 47), dtype=np.uint8)
    for k, s in [(3, 2), (5, 3), ((4, 5), (1, 2))]:
        if isinstance(padding, int) and padding > (min(k) if isinstance(k, tuple) else k) // 2:
            continue
        expected = reference.pool(
            x,
            "avg",
            k if isinstance(k, tuple) else (k, k),
            s if isinstance(s, tuple) else (s, s),
            padding,
            channel_axis=0,
        )
        if expected is None:
            continue
        got = pool(x, "avg", k, s, padding, channel_axis=0, threads=2)
        reference.assert_identical(got, expected)
        counted = pool(x, "avg", k, s, padding, count_pad=True, channel_axis=0, threads=2)
        reference.assert_identical(
            counted,
            reference.pool(
                x,
                "avg",
                k if isinstance(k, tuple) else (k, k),
                s if isinstance(s, tuple) else (s, s),
                padding,
                channel_axis=0,
                count_pad=True,
            ),
        )


@pytest.mark.parametrize("mode", ["max", "avg", "sum"])
def test_wide_rows_pooled_in_column_chunks_equal_the_reference(monkeypatch, mode: str) -> None:
    # Rows wider than a band are pooled a chunk of columns at a time; small bands make every
    # chunk edge fall somewhere in a 4 x 1999 strip.
    from poolcli.core.kernels import bands

    monkeypatch.setattr(bands, "BAND_BYTES", 1 << 9)
    rng = np.random.default_rng(13)
    x = rng.integers(0, 256, (2, 4, 1999), dtype=np.uint8)
    for k, s, padding, options in [
        (2, 2, "valid", {}),
        (3, 1, "same", {}),
        (3, 2, 1, {"count_pad": True}),
        ((2, 3), (1, 2), "ceil", {}),
        (2, 1, "valid", {"dilation": (1, 3)}),
    ]:
        kk = k if isinstance(k, tuple) else (k, k)
        ss = s if isinstance(s, tuple) else (s, s)
        got = pool(x, mode, k, s, padding, channel_axis=0, threads=2, **options)
        expected = reference.pool(
            x,
            mode,
            kk,
            ss,
            padding,
            channel_axis=0,
            d=options.get("dilation", (1, 1)),
            count_pad=options.get("count_pad", False),
        )
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype", ["uint8", "uint16"])
@pytest.mark.parametrize("mode", ["avg", "sum"])
def test_pairs_kernel_equals_the_reference(monkeypatch, dtype: str, mode: str) -> None:
    # Stride-2 sums and averages over 2 or 3 cells a side read two cells as one wider integer
    # (poolcli.core.kernels.stride2): odd and even sizes (a dropped last row and column, an odd width whose
    # last 3-cell window is summed apart), a row offset by one cell (pairs that start at an
    # odd byte), strided rows, threads, bands of a few rows, against the oracle.
    from poolcli.core.kernels import bands, stride2

    monkeypatch.setattr(stride2, "_BAND_PAIRS", 15)
    used = []
    real = stride2.pool_pairs
    monkeypatch.setattr(bands, "pool_pairs", lambda *a: used.append(1) or real(*a))
    rng = np.random.default_rng(14)
    top = np.iinfo(dtype).max
    base = rng.integers(0, top + 1, (3, 41, 38), dtype=dtype)
    base[:, :4, :4] = top  # the largest sums and the rounding of the largest means
    # ... and Pillow's layout, 4 bytes a pixel, read in place (copied a band at a time)
    rgbx = np.ascontiguousarray(np.moveaxis(np.concatenate([base, base[:1]]), 0, -1))
    views = [base, base[:, :, 1:], base[:, ::2], base[:1, :7, :9], base[:, :, 3:6]]
    views += [np.moveaxis(rgbx, -1, 0)[:3], np.moveaxis(rgbx, -1, 0)[:3, :, 1:]]
    for x in views:
        for k in (2, 3, (2, 3), (3, 2)):
            kk = k if isinstance(k, tuple) else (k, k)
            threads = 1 + len(used) % 2
            got = pool(x, mode, k, 2, "valid", channel_axis=0, threads=threads)
            expected = reference.pool(x, mode, kk, (2, 2), "valid", channel_axis=0)
            if mode == "sum":  # the oracle sums in 64 bits; sums come in the narrowest type
                assert got.dtype == ("uint16" if dtype == "uint8" else "uint32")
                expected = expected.astype(got.dtype)
            reference.assert_identical(got, expected)
    assert len(used) == 4 * len(views)


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
@pytest.mark.parametrize("mode", ["max", "min"])
def test_wide_stride_one_windows_by_doubling_equal_the_reference(
    monkeypatch, dtype: str, mode: str
) -> None:
    # Stride-1 max and min windows of 4 or more cells run by doubling (poolcli.core.kernels.runs): every
    # width up to 16 on each axis, mixed with other strides, across bands of a few rows, in
    # two threads; floats with NaN, infinities and zeros of both signs.
    from poolcli.core.kernels import bands

    monkeypatch.setattr(bands, "BAND_BYTES", 1 << 10)
    rng = np.random.default_rng(15)
    x = rng.integers(0, 200, (2, 37, 41)).astype(dtype)
    if dtype == "float32":
        x[0, 5, 7], x[1, 20, 30], x[0, 30, 3] = np.nan, -np.inf, np.inf
        x[:, 10:14, 10:14] = -0.0
        x[:, 12, 12] = 0.0
    for k, s in [
        (4, 1),
        (5, 1),
        (7, 1),
        (8, 1),
        (9, 1),
        (15, 1),
        (16, 1),
        ((7, 3), (1, 1)),
        ((3, 9), (1, 1)),
        ((6, 6), (1, 2)),
        ((6, 6), (2, 1)),
        ((1, 11), (1, 1)),
    ]:
        kk = k if isinstance(k, tuple) else (k, k)
        ss = s if isinstance(s, tuple) else (s, s)
        for padding in ("valid", "same"):
            expected = reference.pool(x, mode, kk, ss, padding, channel_axis=0)
            if expected is None:
                continue
            got = pool(x, mode, k, s, padding, channel_axis=0, threads=2)
            reference.assert_identical(got, expected)


@pytest.mark.parametrize("dtype", ["uint8", "uint16"])
def test_padded_pairs_pass_is_the_pairs_kernel_in_a_frame(monkeypatch, dtype: str) -> None:
    # With padding, the windows wholly inside go to the pairs kernel and the frame of windows
    # that overhang to the general one (bands._pool_framed): every padding rule, counted or
    # not, odd and even sizes, against the oracle.
    from poolcli.core.kernels import bands

    inner_calls = []
    real = bands.pool_pairs
    monkeypatch.setattr(bands, "pool_pairs", lambda *a: inner_calls.append(1) or real(*a))
    rng = np.random.default_rng(16)
    for shape in ((2, 23, 30), (1, 16, 17)):
        x = rng.integers(0, np.iinfo(dtype).max + 1, shape, dtype=dtype)
        for mode, k, padding, options in [
            ("avg", 3, "same", {}),
            ("avg", 3, "ceil", {}),
            ("avg", 3, 1, {}),
            ("avg", 3, 1, {"count_pad": True}),
            ("avg", 2, "ceil", {}),
            ("sum", 3, "same", {}),
            ("avg", (2, 3), "same", {}),
        ]:
            kk = k if isinstance(k, tuple) else (k, k)
            got = pool(x, mode, k, 2, padding, channel_axis=0, threads=2, **options)
            expected = reference.pool(x, mode, kk, (2, 2), padding, channel_axis=0, **options)
            if mode == "sum":
                expected = expected.astype(got.dtype)
            reference.assert_identical(got, expected)
    assert len(inner_calls) >= 10


@pytest.mark.parametrize("mode", ["max", "avg"])
def test_the_input_is_released_once_the_first_pass_is_done(mode: str) -> None:
    # A batch must not hold a decoded photo through its later passes and their encoding:
    # neither the passes' generators nor the core's helper threads (which once kept their
    # last task's closure, and the photo with it) may keep the input alive.
    import gc
    import weakref

    from poolcli.core.geometry import plan_for
    from poolcli.core.passes import run_passes
    from poolcli.spec.pool_spec import PoolSpec

    x = np.random.default_rng(17).integers(0, 256, (3, 1024, 1024), dtype=np.uint8)
    spec = PoolSpec(mode, 2, passes=2)
    passes = run_passes(x, spec, plan_for(spec, x.shape[1:]), threads=2)
    alive = weakref.ref(x)
    del x
    first = next(passes)
    gc.collect()
    assert alive() is None
    assert next(passes).shape == (3, 256, 256) and first.shape == (3, 512, 512)
