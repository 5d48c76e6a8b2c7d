"""Sum, Lp and stochastic pooling, dilation, counted padding, framework rules, and the indices
of the cells that won, against the plain-Python oracle of tests/reference.py and PyTorch."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from poolcli import ParameterError, pool, pool_passes, unpool

from . import reference

images = st.integers(1, 12).flatmap(
    lambda h: st.integers(1, 12).flatmap(
        lambda w: st.sampled_from(["uint8", "uint16", "int32", "float32", "float64"]).flatmap(
            lambda dt: hnp.arrays(
                dt,
                (2, h, w),
                elements=st.floats(-1e4, 1e4, width=32) if dt.startswith("float") else None,
            )
        )
    )
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    image=images,
    mode=st.sampled_from(["max", "min", "avg", "sum", "stride"]),
    k=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    s=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    d=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=st.sampled_from(["valid", "same", "ceil", 0, 1, 2]),
    count_pad=st.booleans(),
    caffe=st.booleans(),
)
def test_every_mode_and_option_equals_the_reference(
    image, mode, k, s, d, padding, count_pad, caffe
) -> None:
    options = {"dilation": d, "count_pad": count_pad}
    if caffe:
        if d != (1, 1) or padding in ("same", "ceil"):
            with pytest.raises(ParameterError, match=r"Caffe|padding"):
                pool(image, mode, k, s, padding, compat="caffe", channel_axis=0, **options)
            return
        options["compat"] = "caffe"
    if isinstance(padding, int) and padding > (min(k) - 1 if caffe else min(k) // 2):
        with pytest.raises(ParameterError, match="padding"):
            pool(image, mode, k, s, padding, channel_axis=0, **options)
        return
    expected = reference.pool(
        image, mode, k, s, padding, channel_axis=0, d=d, count_pad=count_pad, caffe=caffe
    )
    if expected is None:
        with pytest.raises(ParameterError, match=r"needs at least|only padding"):
            pool(image, mode, k, s, padding, channel_axis=0, **options)
        return
    got = pool(image, mode, k, s, padding, channel_axis=0, threads=1, **options)
    if mode == "sum" and image.dtype.kind != "f":
        # the documented type: the narrowest (of 16, 32, 64 bits, none narrower than the
        # input) that the largest sum of a window fits in; int64 for signed input
        cells = min(k[0], image.shape[1]) * min(k[1], image.shape[2])
        largest = cells * int(np.iinfo(image.dtype).max)
        fits = [t for t in ("uint16", "uint32", "uint64") if largest <= np.iinfo(t).max]
        kind = "int64" if image.dtype.kind == "i" else fits[0]
        if np.dtype(kind).itemsize < image.dtype.itemsize:
            kind = image.dtype.name
        assert got.dtype == kind
        np.testing.assert_array_equal(got, expected)
    else:
        reference.assert_identical(got, expected)
    if mode in ("max", "min"):
        values, where = pool(
            image, mode, k, s, padding, channel_axis=0, return_indices=True, **options
        )
        expected_values, expected_where = reference.pool(
            image, mode, k, s, padding, channel_axis=0, d=d, caffe=caffe, indices=True
        )
        reference.assert_identical(values, expected_values)
        np.testing.assert_array_equal(where, expected_where, strict=True)


@pytest.mark.parametrize("n", range(1, 9))
def test_caffe_sizes_and_divisors_on_every_small_shape(n: int) -> None:
    """Caffe's rules (docs/frameworks.md) against their transcription, for every window,
    stride and padding Caffe accepts on an n x n image: any padding below the window
    (``CHECK_LT(pad, kernel)``), where the output may be larger than the input."""
    x = np.arange(1, n * n + 1, dtype=np.float64).reshape(1, n, n) ** 1.5
    for k, s in itertools.product(range(1, 5), range(1, 4)):
        for pad in range(0, k):
            expected = reference.pool(x, "avg", (k, k), (s, s), pad, 0, count_pad=True, caffe=True)
            if expected is None:
                with pytest.raises(ParameterError):
                    pool(x, "avg", k, s, pad, compat="caffe", channel_axis=0)
                continue
            got = pool(x, "avg", k, s, pad, compat="caffe", channel_axis=0)
            reference.assert_identical(got, expected)
            for mode in ("max", "min"):  # no window of padding alone: Caffe's -FLT_MAX never
                got = pool(x, mode, k, s, pad, compat="caffe", channel_axis=0)
                want = reference.pool(x, mode, (k, k), (s, s), pad, 0, caffe=True)
                reference.assert_identical(got, want)
    with pytest.raises(ParameterError, match=r"window less one .* as in Caffe"):
        pool(x, "avg", 3, 1, 3, compat="caffe", channel_axis=0)


def test_sums_are_exact_and_never_overflow() -> None:
    x = np.full((300, 300), 255, np.uint8)
    assert pool(x, "sum", size="global").tolist() == [[255 * 90000]]
    assert pool(x, "sum", size="global").dtype == np.uint32
    deep = np.full((300, 300), 65535, np.uint16)
    assert pool(deep, "sum", size="global").dtype == np.uint64  # 90,000 cells > 65,537
    assert int(pool(deep, "sum", size="global")[0, 0]) == 65535 * 90000
    # Passes keep one type wide enough for the last: 65535 * 4**9 needs more than 32 bits.
    runs = list(pool_passes(np.full((512, 512), 65535, np.uint16), "sum", passes=9))
    assert {r.dtype for r in runs} == {np.dtype(np.uint64)} and runs[-1][0, 0] == 65535 * 4**9
    signed = np.full((4, 4), -(2**31), np.int32)
    assert pool(signed, "sum", 4).tolist() == [[-(2**31) * 16]]


def test_lp_with_p_1_is_the_sum_and_p_2_the_euclidean_norm() -> None:
    rng = np.random.default_rng(3)
    x = rng.integers(0, 256, (37, 41), dtype=np.uint8)
    assert pool(x, "lp", 3).dtype == np.float32  # uint8 and uint16; int32 gives float64
    np.testing.assert_array_equal(pool(x, "lp", 3, power=1), pool(x, "sum", 3))
    for (k, s, padding), power in itertools.product(
        [((3, 2), (2, 2), "same"), ((2, 2), (2, 2), "valid")], [2.0, 3.0, 0.7, 1.5]
    ):
        expected = reference.pool(x, "lp", k, s, padding, power=power)
        got = pool(x, "lp", k, s, padding, power=power)
        np.testing.assert_allclose(got, expected, rtol=2**-23)  # float32's last bit
    wide = rng.integers(0, 2**31, (9, 9), dtype=np.int32)
    got = pool(wide, "lp", 3, power=3.0)
    assert got.dtype == np.float64
    np.testing.assert_allclose(
        got, reference.pool(wide, "lp", (3, 3), (3, 3), "valid", power=3.0), rtol=1e-14
    )


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32", "float64"])
def test_stochastic_evaluation_is_the_weighted_mean(dtype: str) -> None:
    rng = np.random.default_rng(5)
    x = (rng.random((40, 60)) * 250).astype(dtype)
    x[:4, :4] = 0  # a window of zeros gives 0
    got = pool(x, "stochastic", 4, evaluate=True)
    expected = reference.weighted_mean(x, 4)
    if x.dtype.kind == "f":  # float64 sums and one division: float32 within 1 ulp of the
        assert got.dtype == x.dtype  # exact quotient, float64 within 4
        ulps = 1 if x.dtype == np.float32 else 4
        assert (np.abs(got - expected) <= ulps * np.spacing(expected)).all()
    else:  # exact, rounded to nearest
        reference.assert_identical(got, expected)
    assert got[0, 0] == 0


def test_stochastic_draws_follow_the_values() -> None:
    """Chi-square goodness of fit of 40,000 draws from windows [[1, 2], [3, 4]] against the
    probabilities 0.1, 0.2, 0.3, 0.4, at significance 0.001 (3 degrees of freedom: 16.27).
    The seed is fixed, so this either always passes or always fails."""
    x = np.tile(np.array([[1, 2], [3, 4]], np.uint8), (200, 200))
    values, where = pool(x, "stochastic", 2, seed=2026, return_indices=True)
    rows, cols = np.divmod(where, 400)
    drawn = x[rows, cols]
    np.testing.assert_array_equal(drawn, values)  # each value is the cell its index names
    observed = np.bincount(drawn.ravel(), minlength=5)[1:]
    expected = np.array([0.1, 0.2, 0.3, 0.4]) * values.size
    chi2 = float(((observed - expected) ** 2 / expected).sum())
    assert chi2 < 16.27, (observed, chi2)
    zeros = np.zeros((4, 4), np.float32)
    assert not pool(zeros, "stochastic", 2, seed=1).any()


def test_stochastic_draws_are_reproducible_and_independent_of_threads() -> None:
    rng = np.random.default_rng(9)
    x = rng.integers(0, 256, (3, 301, 257), dtype=np.uint8)
    one = pool(x, "stochastic", 3, 2, "same", seed=42, channel_axis=0, threads=1)
    two = pool(x, "stochastic", 3, 2, "same", seed=42, channel_axis=0, threads=2)
    np.testing.assert_array_equal(one, two)
    other = pool(x, "stochastic", 3, 2, "same", seed=43, channel_axis=0)
    assert (one != other).mean() > 0.3
    # Rows are drawn from their own streams: the same windows of a taller image draw alike.
    valid = pool(x, "stochastic", 3, 2, seed=42, channel_axis=0)
    taller = np.concatenate([x, x], axis=1)
    top = pool(taller, "stochastic", 3, 2, seed=42, channel_axis=0)[:, : valid.shape[1]]
    np.testing.assert_array_equal(top, valid)


def test_stochastic_refuses_negative_weights() -> None:
    with pytest.raises(ParameterError, match="0 or more"):
        pool(np.array([[1.0, -1.0]]), "stochastic", (1, 2))


def test_indices_of_global_windows_and_passes() -> None:
    x = np.array([[1, 9, 9], [9, 0, 2]], np.uint8)
    values, where = pool(x, "max", size="global", return_indices=True)
    assert values.tolist() == [[9]] and where.tolist() == [[1]]  # the first of equal cells
    values, where = pool(x, "min", size="global", return_indices=True)
    assert where.tolist() == [[4]]
    with pytest.raises(ParameterError, match="only max, min, fractional and stochastic"):
        pool(x, "avg", return_indices=True)


def test_unpool_puts_values_back_where_they_won() -> None:
    x = np.array([[1, 5, 0, 3], [7, 2, 4, 4]], np.uint8)
    values, where = pool(x, "max", 2, return_indices=True)
    assert unpool(values, where, x.shape).tolist() == [[0, 0, 0, 0], [7, 0, 4, 0]]
    rgb = np.dstack([x, x[::-1], x])
    values, where = pool(rgb, "max", 2, return_indices=True)
    back = unpool(values, where, rgb.shape)
    assert (
        back.shape == rgb.shape
        and (back[:, :, 1] == unpool(*pool(x[::-1], "max", 2, return_indices=True), x.shape)).all()
    )
    with pytest.raises(ParameterError, match="outside"):
        unpool(values, where + 100, rgb.shape)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "max", "power": 3}, "Lp pooling's p"),
        ({"mode": "lp", "power": 0}, "above 0"),
        ({"mode": "lp", "power": float("nan")}, "above 0"),
        ({"mode": "max", "seed": 1}, "stochastic"),
        ({"mode": "max", "compat": "tf"}, "compat must be"),
        ({"mode": "max", "dilation": 0}, "dilation must be at least 1"),
        ({"mode": "avg", "compat": "keras", "count_pad": True}, "Keras"),
        ({"mode": "avg", "compat": "keras", "padding": 1}, "Keras"),
        ({"mode": "avg", "compat": "torch", "padding": "same"}, "PyTorch"),
        ({"mode": "avg", "compat": "caffe", "dilation": 2}, "Caffe"),
    ],
)
def test_options_a_mode_or_framework_lacks_are_refused(kwargs, message) -> None:
    with pytest.raises(ParameterError, match=message):
        pool(np.zeros((8, 8), np.float32), **kwargs)


def test_a_dilated_window_of_padding_alone_is_refused() -> None:
    # rows: the only window covers cells -1 and 2 of a 2-row image
    with pytest.raises(ParameterError, match="only padding"):
        pool(np.ones((2, 2), np.float32), "max", 2, 1, 1, dilation=3)


def test_fractional_pooling_shrinks_by_the_ratio_with_reproducible_windows() -> None:
    rng = np.random.default_rng(21)
    x = rng.integers(0, 256, (3, 100, 61), dtype=np.uint8)
    runs = list(pool_passes(x, "fractional", passes=3, ratio=0.7, seed=5, channel_axis=0))
    assert [r.shape[1:] for r in runs] == [(70, 42), (49, 29), (34, 20)]  # int(n * 0.7)
    again = pool(x, "fractional", ratio=0.7, seed=5, channel_axis=0)
    np.testing.assert_array_equal(runs[0], again)
    values, where = pool(
        x, "fractional", 3, ratio=(0.5, 0.9), seed=5, channel_axis=0, return_indices=True
    )
    assert values.shape == (3, 50, 54)
    # each value is the cell its index names
    np.testing.assert_array_equal(
        np.take_along_axis(x.reshape(3, -1), where.reshape(3, -1), 1).reshape(values.shape), values
    )
    other = pool(x, "fractional", ratio=0.7, seed=6, channel_axis=0)
    assert (other != again).any()
    with pytest.raises(ParameterError, match=r"ratio must be from 0\.5"):
        pool(x, "fractional", ratio=0.4)
    with pytest.raises(ParameterError, match="places its windows itself"):
        pool(x, "fractional", stride=1)


@pytest.fixture(scope="module")
def torch():
    """PyTorch, the peer these tests compare with; only the tests that use it skip without it."""
    return pytest.importorskip("torch")


def _shapes(seed: int, count: int):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        h, w = (int(v) for v in rng.integers(1, 16, 2))
        k, s, d = int(rng.integers(1, 5)), int(rng.integers(1, 4)), int(rng.integers(1, 4))
        p = int(rng.integers(0, k // 2 + 1))
        yield h, w, k, s, d, p, bool(rng.integers(0, 2)) and p == 0


class TestAgainstPyTorch:
    def test_dilated_max_and_its_indices_equal_pytorch(self, torch) -> None:
        rng = np.random.default_rng(11)
        checked = 0
        for h, w, k, s, d, p, ceil in _shapes(11, 400):
            x = rng.choice(
                np.array([0.0, -0.0, 1.0, 2.0, 2.0, np.nan, -np.inf], np.float32), (2, h, w)
            )
            try:
                ev, ei = torch.nn.functional.max_pool2d(
                    torch.from_numpy(x)[None], k, s, p, d, ceil_mode=ceil, return_indices=True
                )
            except RuntimeError:  # PyTorch refuses: so does poolimg
                with pytest.raises(ParameterError):
                    pool(x, "max", k, s, "ceil" if ceil else p, dilation=d, channel_axis=0)
                continue
            if ev.isinf().logical_and(ev < 0).logical_and(ei < 0).any():
                continue  # a window of padding alone: poolimg refuses it (tested above)
            try:
                gv, gi = pool(
                    x,
                    "max",
                    k,
                    s,
                    "ceil" if ceil else p,
                    dilation=d,
                    return_indices=True,
                    channel_axis=0,
                )
            except ParameterError as exc:
                assert "only padding" in str(exc)
                continue
            reference.assert_identical(gv, ev[0].numpy())
            np.testing.assert_array_equal(gi, ei[0].numpy())
            # max_unpool2d's own size check refuses some of these shapes; its scatter does not
            back = torch.zeros(2, h * w).scatter_(1, ei[0].reshape(2, -1), ev[0].reshape(2, -1))
            np.testing.assert_array_equal(
                unpool(gv, gi, (h, w), channel_axis=0), back.reshape(2, h, w).numpy()
            )
            checked += 1
        assert checked > 250

    def test_counted_padding_equals_pytorch_default(self, torch) -> None:
        rng = np.random.default_rng(12)
        for h, w, k, s, _, p, ceil in _shapes(12, 300):
            x = rng.random((2, h, w), dtype=np.float32)
            t = torch.from_numpy(x)[None]
            padding = "ceil" if ceil else p
            try:
                default = torch.nn.functional.avg_pool2d(t, k, s, p, ceil_mode=ceil)[0].numpy()
            except RuntimeError:  # PyTorch refuses: so does poolimg
                with pytest.raises(ParameterError):
                    pool(x, "avg", k, s, padding, compat="torch", channel_axis=0)
                continue
            not_counted = torch.nn.functional.avg_pool2d(
                t, k, s, p, ceil_mode=ceil, count_include_pad=False
            )[0].numpy()
            for counted, expected in ((True, default), (False, not_counted)):
                got = pool(x, "avg", k, s, padding, count_pad=counted, channel_axis=0)
                reference.assert_identical(got, expected)
            got = pool(x, "avg", k, s, padding, compat="torch", channel_axis=0)
            reference.assert_identical(got, default)

    def test_fractional_max_equals_pytorch_given_its_samples(self, torch) -> None:
        rng = np.random.default_rng(22)
        checked = 0
        for trial in range(200):
            h, w = (int(v) for v in rng.integers(4, 30, 2))
            k, r = int(rng.integers(1, 4)), float(rng.choice([0.5, 0.6, 0.7, 0.75, 0.9]))
            if trial % 2:
                cells = np.array([0.0, -0.0, 1.0, 2.0, np.nan], np.float32)
                x = rng.choice(cells, (3, h, w))
            else:
                x = rng.random((3, h, w), dtype=np.float32)
            samples = rng.random((1, 3, 2)).astype(np.float32)
            try:
                ev, ei = torch.nn.functional.fractional_max_pool2d(
                    torch.from_numpy(x)[None],
                    k,
                    output_ratio=(r, r),
                    _random_samples=torch.from_numpy(samples),
                    return_indices=True,
                )
            except (RuntimeError, ValueError):  # PyTorch refuses: so does poolimg
                with pytest.raises(ParameterError):
                    pool(x, "fractional", k, ratio=r, samples=samples[0], channel_axis=0)
                continue
            gv, gi = pool(
                x,
                "fractional",
                k,
                ratio=r,
                samples=samples[0],
                channel_axis=0,
                return_indices=True,
            )
            reference.assert_identical(gv, ev[0].numpy())
            np.testing.assert_array_equal(gi, ei[0].numpy())
            # without indices the values take a separable path: the same numbers
            alone = pool(x, "fractional", k, ratio=r, samples=samples[0], channel_axis=0)
            reference.assert_identical(alone, ev[0].numpy())
            checked += 1
        assert checked > 150

    def test_lp_equals_pytorch(self, torch) -> None:
        """p = 1 bit for bit; p >= 1 within 2 ulp, p < 1 within 8 (measured: 6 at p = 0.5,
        where the root squares the error of x ** 0.5): PyTorch's AVX2 ``pow`` and ``sqrt`` are
        not correctly rounded (``torch.sqrt`` differs from the exact root in about a fifth of
        float32 values on this machine) and numpy's are."""
        rng = np.random.default_rng(13)
        for h, w, k, s, _, _, ceil in _shapes(13, 150):
            x = (rng.random((2, h, w)) * 10).astype(np.float32)
            padding = "ceil" if ceil else "valid"
            for power in (1.0, 2.0, 3.0, 0.5):
                try:
                    expected = torch.nn.functional.lp_pool2d(
                        torch.from_numpy(x)[None], power, k, s, ceil_mode=ceil
                    )[0].numpy()
                except RuntimeError:
                    continue
                got = pool(x, "lp", k, s, padding, power=power, compat="torch", channel_axis=0)
                if power == 1.0:
                    reference.assert_identical(got, expected)
                else:
                    ulps = 2 if power >= 1 else 8
                    assert got.dtype == expected.dtype
                    assert (np.abs(got - expected) <= ulps * np.spacing(np.abs(expected))).all()
