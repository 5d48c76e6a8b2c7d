"""Mutations made by hand that no test caught (issues 20 and 25), each now a test that fails
on its mutation: the bug is named above each one."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from poolcli import InputError
from poolcli.core.geometry import plan_for
from poolcli.core.passes import run_passes_indexed
from poolcli.io.reading import load, probe
from poolcli.spec.pool_spec import PoolSpec

from .helpers import poolimg
from .test_images import pool_image


def test_no_clobber_never_rewrites_a_pass_it_finds(tmp_path: Path, samples: Path) -> None:
    # mutant: writes.write_pass treats an existing output as absent
    shutil.copy(samples / "camera.png", tmp_path / "c.png")
    assert poolimg("max", "c.png", "-n", "1", "-o", "out/", cwd=tmp_path).returncode == 0
    first = tmp_path / "out" / "c_max_k2_s2_p1.png"
    before = first.stat()
    run = poolimg("max", "c.png", "-n", "2", "--no-clobber", "-o", "out/", cwd=tmp_path)
    assert run.returncode == 0
    after = first.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert (tmp_path / "out" / "c_max_k2_s2_p2.png").exists()


def test_the_pixel_limit_lets_in_exactly_the_limit(tmp_path: Path) -> None:
    # mutant: guard.check_pixels refuses at the limit (>= for >)
    Image.new("L", (10, 10), 5).save(tmp_path / "ten.png")
    Image.new("L", (11, 10), 5).save(tmp_path / "eleven.png")
    assert load(tmp_path / "ten.png", max_pixels=100).size == (10, 10)
    with pytest.raises(InputError, match="over the limit of 100 pixels"):
        load(tmp_path / "eleven.png", max_pixels=100)


def test_averages_weight_colour_by_alpha_whatever_the_hidden_colour() -> None:
    # mutant: passes._weighted_mean without premultiplication; with transparent *black* the
    # two agree, so the hidden colour here is white
    diagonal = np.array([[1, 0], [0, 1]], bool)  # red opaque on it, white transparent off it
    rgba = np.empty((4, 2, 2), np.uint8)
    rgba[0] = 255
    rgba[1] = rgba[2] = np.where(diagonal, 0, 255)
    rgba[3] = np.where(diagonal, 255, 0)
    out = pool_image(rgba, "avg", size=2, alpha=True)
    assert out[:, 0, 0].tolist() == [255, 0, 0, 128]


@pytest.mark.parametrize("orientation", [5, 6, 7, 8])
def test_probe_and_load_agree_on_every_quarter_turn(tmp_path: Path, orientation: int) -> None:
    # mutant: reading's header treats only orientations 6 and 8 as quarter turns
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.new("RGB", (40, 20), "blue").save(tmp_path / "turned.jpg", exif=exif.tobytes())
    width, height, _ = probe(tmp_path / "turned.jpg")
    assert (width, height) == load(tmp_path / "turned.jpg").size == (20, 40)


def test_indices_of_a_later_pass_point_into_the_first_input() -> None:
    # mutant: passes._passes stops following indices back through the earlier passes
    rng = np.random.default_rng(7)
    planar = rng.integers(0, 256, (3, 16, 12), dtype=np.uint8)
    spec = PoolSpec("max", 2, passes=3)
    plan = plan_for(spec, planar.shape[1:])
    for values, index in run_passes_indexed(planar, spec, plan):
        for channel in range(3):
            flat = planar[channel].reshape(-1)
            np.testing.assert_array_equal(flat[index[channel]], values[channel])
        assert index.max() >= 16 * 12 // 2  # indices of the first input, not of the pass


@pytest.mark.parametrize(
    ("mode", "option"), [("max", {"ratio": 0.7}), ("avg", {"power": 2.0}), ("min", {"ratio": 0.6})]
)
def test_an_option_a_mode_lacks_is_refused_whatever_its_value(mode: str, option: dict) -> None:
    # a default used as the "not given" marker let pool(x, "max", ratio=0.7) through where
    # ratio=0.6 was refused; None marks "not given" now
    from poolcli import ParameterError, pool

    with pytest.raises(ParameterError, match="has none"):
        pool(np.zeros((4, 4), np.uint8), mode, **option)
    assert PoolSpec("lp").exponent == 2.0 and PoolSpec("fractional").ratios == (0.7, 0.7)
