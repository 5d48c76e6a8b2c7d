"""Passes on bands of rows (poolcli.core.streaming) against the whole-image passes: the same
values, bit for bit, whatever the bands, for every mode that streams and every padding rule."""

from __future__ import annotations

import numpy as np
import pytest

from poolcli.core.geometry import PlanError, plan_for
from poolcli.core.passes import run_passes
from poolcli.core.reducers import reducer_for
from poolcli.core.streaming import BandPass, stream_passes, why_not
from poolcli.errors import ParameterError
from poolcli.spec.pool_spec import MODES, PoolSpec

# every mode but the two whose windows or draws are chosen for the whole image (why_not)
STREAMING = [mode for mode in MODES if mode not in ("stochastic", "fractional")]


def bands_of(image: np.ndarray, rng: np.random.Generator) -> list[np.ndarray]:
    """``image`` cut into bands of random heights (1 to 9 rows)."""
    cuts, at = [], 0
    while at < image.shape[1]:
        step = int(rng.integers(1, 10))
        cuts.append(image[:, at : at + step])
        at += step
    return cuts


def streamed(image: np.ndarray, spec: PoolSpec, rng: np.random.Generator, **kw) -> list:
    plan = plan_for(spec, image.shape[1:])
    out: dict[int, list[np.ndarray]] = {g.index: [] for g in plan}
    for index, rows in stream_passes(bands_of(image, rng), spec, plan, **kw):
        assert rows.shape[1] > 0
        out[index].append(rows)
    return [np.concatenate(out[g.index], axis=1) for g in plan]


def whole(image: np.ndarray, spec: PoolSpec, **kw) -> list:
    return list(run_passes(image, spec, plan_for(spec, image.shape[1:]), **kw))


def random_spec(rng: np.random.Generator, mode: str) -> PoolSpec:
    size = (int(rng.integers(1, 5)), int(rng.integers(1, 5)))
    stride = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    padding: object = rng.choice(["valid", "same", "ceil", "int"])
    dilation = int(rng.integers(1, 3)) if rng.random() < 0.3 else 1
    extra: dict[str, object] = {}
    passes = int(rng.integers(1, 4))
    if mode in ("blurpool", "maxblurpool"):  # the blur pads itself; blurpool has no window
        blur = int(rng.integers(1, 7))
        if mode == "blurpool":
            return PoolSpec("blurpool", stride, passes=passes, blur=blur)
        return PoolSpec("maxblurpool", size, stride, passes=passes, blur=blur)
    if padding == "int":
        padding = int(rng.integers(0, min(size) // 2 + 1))
        if rng.random() < 0.3 and mode in ("avg", "max", "min", "sum"):
            extra["compat"] = "caffe"
            padding = int(rng.integers(0, min(size)))
            dilation = 1
        elif mode == "avg":
            extra["count_pad"] = bool(rng.random() < 0.5)
    if mode == "lp":
        extra["power"] = float(rng.choice([1.0, 2.0, 3.0]))
    if mode == "stride" or (mode == "lp" and padding not in ("valid", 0)):
        padding, dilation = "valid", 1
    if rng.random() < 0.15 and mode in ("avg", "max", "min", "median", "mode", "sum"):
        extra["ignore"] = 7.0
        extra.pop("compat", None)
        extra.pop("count_pad", None)
    return PoolSpec(mode, size, stride, padding, passes, dilation=dilation, **extra)  # type: ignore[arg-type]


@pytest.mark.parametrize("mode", STREAMING)
@pytest.mark.parametrize("seed", range(12))
def test_bands_give_the_whole_image_values(mode: str, seed: int) -> None:
    rng = np.random.default_rng(seed * 100 + STREAMING.index(mode))
    dtype = rng.choice([np.uint8, np.uint16, np.float32])
    shape = (int(rng.integers(1, 4)), int(rng.integers(12, 60)), int(rng.integers(5, 30)))
    high = 16 if mode == "mode" else 250
    image = rng.integers(0, high, shape).astype(dtype)
    try:
        spec = random_spec(rng, mode)
        expected = whole(image, spec)
    except (PlanError, ParameterError):
        pytest.skip("a spec the whole-image path refuses")
    got = streamed(image, spec, rng)
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        assert g.dtype == e.dtype and g.shape == e.shape
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("mode", ["avg", "max", "median", "mode", "sum"])
@pytest.mark.parametrize("out", [(5, 7), (17, 9), (40, 3), (1, 6)])
def test_bands_of_an_adaptive_pass(mode: str, out: tuple[int, int]) -> None:
    rng = np.random.default_rng(sum(out))
    image = rng.integers(0, 200, (3, 23, 19)).astype(np.uint8)
    spec = PoolSpec(mode, output_size=out)
    for g, e in zip(streamed(image, spec, rng), whole(image, spec), strict=True):
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("linear", [False, True])
def test_bands_of_averages_with_alpha_and_linear_light(linear: bool) -> None:
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, (4, 37, 21)).astype(np.uint8)
    image[3, :10] = 0  # transparent rows
    spec = PoolSpec("avg", 3, 2, "same", 2)
    got = streamed(image, spec, rng, alpha=True, linear=linear)
    for g, e in zip(got, whole(image, spec, alpha=True, linear=linear), strict=True):
        np.testing.assert_array_equal(g, e)


def test_a_pass_holds_only_the_rows_its_next_windows_read() -> None:
    spec = PoolSpec("max", 3, 2)
    geom = plan_for(spec, (1000, 8))[0]
    step = BandPass(geom, reducer_for(spec))
    most, made = 0, 0
    for _ in range(100):
        made += sum(rows.shape[1] for rows in step.feed(np.zeros((1, 10, 8), np.uint8)))
        most = max(most, 0 if step.held is None else step.held.shape[1])
    made += sum(rows.shape[1] for rows in step.finish())
    assert made == geom.rows.out
    assert most <= 3  # a band's last row or two: what the next window reads


@pytest.mark.parametrize(
    ("spec", "why"),
    [
        (PoolSpec("fractional", 2, ratio=0.5), "fractional"),
        (PoolSpec("stochastic", 2, seed=1), "stochastic"),
        (PoolSpec("avg", "global"), "whole image"),
    ],
)
def test_what_does_not_stream_says_why(spec: PoolSpec, why: str) -> None:
    plan = plan_for(spec, (8, 8))
    reason = why_not(spec, plan)
    assert reason is not None and why in reason
    with pytest.raises(ValueError, match=why):
        list(stream_passes([np.zeros((1, 8, 8), np.uint8)], spec, plan))


def test_a_short_input_is_an_error_not_a_short_output() -> None:
    spec = PoolSpec("avg", 2)
    plan = plan_for(spec, (8, 8))
    with pytest.raises(ValueError, match="fed 6 rows of 8"):
        list(stream_passes([np.zeros((1, 6, 8), np.uint8)], spec, plan))
