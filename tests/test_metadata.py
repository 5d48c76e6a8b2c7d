"""What the outputs keep of the input's metadata (--strip, --keep-metadata), and -v's timings:
real files written and read back."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PIL import Image, ImageCms

from .helpers import run

GPS_IFD = 0x8825


@pytest.fixture
def photo(tmp_path: Path, samples: Path, monkeypatch) -> Path:
    """A JPEG as a phone writes it: camera, time and GPS position in EXIF, a colour profile,
    300 dpi."""
    monkeypatch.chdir(tmp_path)
    exif = Image.Exif()
    exif[0x010F] = "PoolCam"  # Make
    exif[0x0132] = "2026:11:28 10:00:00"  # DateTime
    gps = exif.get_ifd(GPS_IFD)
    gps[1], gps[2] = "N", (51.0, 30.0, 0.0)  # latitude
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    with Image.open(samples / "chelsea.png") as image:
        image.convert("RGB").save(
            "phone.jpg", quality=90, exif=exif.tobytes(), icc_profile=profile, dpi=(300, 300)
        )
    return tmp_path / "phone.jpg"


def metadata(path: str) -> tuple[Image.Exif, bytes | None, tuple | None]:
    with Image.open(path) as image:
        return image.getexif(), image.info.get("icc_profile"), image.info.get("dpi")


def test_by_default_every_kind_is_kept(photo: Path) -> None:
    assert run("max", "phone.jpg", "-o", "all.jpg").exit_code == 0
    exif, icc, dpi = metadata("all.jpg")
    assert exif[0x010F] == "PoolCam" and exif.get_ifd(GPS_IFD)[1] == "N"
    assert icc == metadata("phone.jpg")[1] and dpi == pytest.approx((150, 150))  # halved


def test_strip_drops_exif_and_keeps_the_profile(photo: Path) -> None:
    for name, flags in (("strip.jpg", ["--strip"]), ("icc.jpg", ["--keep-metadata", "icc"])):
        assert run("max", "phone.jpg", "-o", name, *flags).exit_code == 0
        exif, icc, dpi = metadata(name)
        assert len(exif) == 0, dict(exif)
        assert icc == metadata("phone.jpg")[1] and dpi == pytest.approx((150, 150))
    assert Path("strip.jpg").read_bytes() == Path("icc.jpg").read_bytes()
    assert b"PoolCam" not in Path("strip.jpg").read_bytes()


def test_keep_none_drops_everything(photo: Path) -> None:
    assert run("avg", "phone.jpg", "-o", "none.png", "--keep-metadata", "none").exit_code == 0
    exif, icc, dpi = metadata("none.png")
    assert len(exif) == 0 and icc is None and dpi is None


def test_contradictions_and_unknown_words_are_usage_errors(photo: Path) -> None:
    result = run("max", "phone.jpg", "--strip", "--keep-metadata", "all")
    assert (
        result.exit_code == 2
        and "--strip" in result.stderr
        and "--keep-metadata all" in result.stderr
    )
    result = run("max", "phone.jpg", "--keep-metadata", "gps")
    assert result.exit_code == 2 and "use all, icc or none" in result.stderr
    assert not Path("poolimg-out").exists()


def test_verbose_prints_each_stage_and_json_carries_them(photo: Path) -> None:
    result = run("max", "phone.jpg", "-n", "2", "--sheet", "-v")
    assert result.exit_code == 0, result.stderr
    line = next(x for x in result.stderr.splitlines() if x.startswith("phone.jpg: done"))
    assert re.fullmatch(
        r"phone\.jpg: done in \d+\.\d\d s \(decode \d+ ms, pool \d+ ms, sheet \d+ ms, encode \d+ ms\)",
        line,
    ), line
    result = run("max", "phone.jpg", "--json", "-q")
    timings = json.loads(result.stdout)["ms"]
    assert set(timings) == {"decode", "pool", "encode"} and all(v >= 0 for v in timings.values())
