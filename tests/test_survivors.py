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
    # mutants: guard.check_pixels refuses at the limit (>= for >), or lets one more in
    Image.new("L", (10, 10), 5).save(tmp_path / "ten.png")
    Image.new("L", (101, 1), 5).save(tmp_path / "one_over.png")
    assert load(tmp_path / "ten.png", max_pixels=100).size == (10, 10)
    with pytest.raises(InputError, match="over the limit of 100 pixels"):
        load(tmp_path / "one_over.png", max_pixels=100)


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


def test_srgb_decoding_follows_iec_61966_2_1_on_both_sides_of_its_threshold() -> None:
    # mutant: colour.srgb_to_linear's threshold 0.04045 moved to 0.04 (no 8-bit value lies
    # between them, so only 16-bit images and the function itself can tell)
    from poolcli.core.colour import srgb_to_linear

    codes = np.arange(2600, 2700, dtype=np.uint16)  # 0.0397 to 0.0412 of 65535
    c = codes / 65535
    standard = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    assert np.array_equal(srgb_to_linear(codes), standard)


def test_a_folder_swapped_for_a_link_after_its_check_is_not_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # mutant: atomic opens the folders below -o without O_NOFOLLOW, so a folder replaced by a
    # link between the check and the open leads the write outside -o
    import os

    from poolcli import OutputError
    from poolcli.io import atomic

    out, outside = tmp_path / "out", tmp_path / "elsewhere"
    (out / "sub").mkdir(parents=True)
    outside.mkdir()
    checked = os.path.islink

    def check_then_swap(path: str | os.PathLike[str]) -> bool:
        answer = checked(path)
        if Path(path) == out / "sub" and not answer:  # the attacker's move, just after
            (out / "sub").rmdir()
            (out / "sub").symlink_to(outside)
        return answer

    monkeypatch.setattr(atomic.os.path, "islink", check_then_swap)
    with pytest.raises(OutputError, match="sub"):
        atomic.write_atomically(out / "sub" / "x.bin", lambda f: f.write(b"data"), inside=out)
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("ext", ["jpg", "png", "webp", "tif"])
def test_the_colour_profile_is_kept_in_every_format_that_holds_one(
    tmp_path: Path, ext: str
) -> None:
    # mutant: writing.py leaves WebP out of the formats given the ICC profile
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.new("RGB", (8, 8), "teal").save(tmp_path / f"in.{ext}", icc_profile=profile)
    run = poolimg("max", f"in.{ext}", "-o", f"out.{ext}", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    with Image.open(tmp_path / f"out.{ext}") as out:
        assert out.info.get("icc_profile") == profile


def test_compress_level_reaches_the_png_encoder(tmp_path: Path) -> None:
    # mutant: writing.py gives zlib a fixed level whatever --compress-level says
    rng = np.random.default_rng(0)
    smooth = np.cumsum(rng.integers(0, 3, (256, 256)), axis=1).astype(np.uint8)
    Image.fromarray(smooth).save(tmp_path / "in.png")
    sizes = {}
    for level in ("0", "9"):
        run = poolimg(
            "max", "in.png", "--compress-level", level, "-o", f"{level}.png", cwd=tmp_path
        )
        assert run.returncode == 0, run.stderr
        sizes[level] = (tmp_path / f"{level}.png").stat().st_size
    assert sizes["0"] > 128 * 128 > 2 * sizes["9"]  # stored, against compressed


def test_the_upright_orientation_is_read_without_a_note(tmp_path: Path) -> None:
    # mutant: reading._orientation takes 1 (upright, the commonest value) for out of range
    exif = Image.Exif()
    exif[0x0112] = 1
    Image.new("RGB", (40, 20), "red").save(tmp_path / "up.jpg", exif=exif.tobytes())
    picture = load(tmp_path / "up.jpg")
    assert not picture.notes and picture.frames[0].shape[1:] == (20, 40)
