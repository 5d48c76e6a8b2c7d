"""The optional fast JPEG decoder (simplejpeg): the same pixels, orientation and metadata as
Pillow, on real photos in every layout Pillow writes; Pillow's words for broken files.

Only these checks need simplejpeg; without it they skip and every other test still runs
(through Pillow, the path without the extra).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

import poolcli.io.fast_jpeg
from poolcli import InputError
from poolcli.io.reading import load

pytest.importorskip("simplejpeg", reason="the fast JPEG path needs poolimg[fast]")


def load_both(path: Path, monkeypatch: pytest.MonkeyPatch):
    """load() through simplejpeg, then through Pillow alone."""
    fast = load(path)
    with monkeypatch.context() as m:
        m.setattr(poolcli.io.fast_jpeg, "decoder", None)
        slow = load(path)
    return fast, slow


def jpeg(tmp_path: Path, image: Image.Image, name: str, **options) -> Path:
    path = tmp_path / name
    image.save(path, "JPEG", **options)
    return path


def test_fast_path_is_taken(tmp_path: Path, samples: Path, monkeypatch) -> None:
    calls = []
    real = poolcli.io.fast_jpeg.decoder.decode_jpeg
    monkeypatch.setattr(
        poolcli.io.fast_jpeg.decoder,
        "decode_jpeg",
        lambda *a, **k: calls.append(1) or real(*a, **k),
    )
    load(samples / "rocket.jpg")
    assert calls == [1]


@pytest.mark.parametrize(
    "options",
    [
        {"quality": 95, "subsampling": 0},  # 4:4:4
        {"quality": 90, "subsampling": 1},  # 4:2:2
        {"quality": 75, "subsampling": 2},  # 4:2:0
        {"quality": 85, "progressive": True},
        {"quality": 85, "optimize": True, "restart_marker_rows": 1},
    ],
    ids=["444", "422", "420", "progressive", "restarts"],
)
@pytest.mark.parametrize("size", [(512, 512), (301, 203), (17, 9), (1, 1)])
def test_same_pixels_as_pillow(tmp_path: Path, samples: Path, monkeypatch, options, size) -> None:
    with Image.open(samples / "astronaut.png") as image:
        photo = image.convert("RGB").resize(size, Image.Resampling.BOX)
    for mode in ("RGB", "L"):
        path = jpeg(tmp_path, photo.convert(mode), f"{mode}.jpg", **options)
        fast, slow = load_both(path, monkeypatch)
        with Image.open(path) as image:
            direct = np.asarray(image)
        assert fast.mode == slow.mode == mode
        np.testing.assert_array_equal(fast.frames[0], slow.frames[0])
        interleaved = np.moveaxis(fast.frames[0], 0, -1)
        np.testing.assert_array_equal(interleaved[..., 0] if mode == "L" else interleaved, direct)


def test_real_photos(samples: Path, monkeypatch) -> None:
    # three cameras' and tools' encoders, not Pillow's
    paths = sorted(samples.glob("*.jpg"))
    assert len(paths) >= 3
    for path in paths:
        fast, slow = load_both(path, monkeypatch)
        np.testing.assert_array_equal(fast.frames[0], slow.frames[0], err_msg=str(path))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_and_metadata(tmp_path: Path, samples: Path, monkeypatch, orientation) -> None:
    with Image.open(samples / "chelsea.png") as image:
        photo = image.convert("RGB").resize((301, 203))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "poolimg test camera"  # Make
    profile = b"\0" * 128 + b"acsp" + b"\0" * 200  # carried as bytes; not parsed
    path = jpeg(tmp_path, photo, "turned.jpg", quality=90, exif=exif.tobytes(), icc_profile=profile)
    fast, slow = load_both(path, monkeypatch)
    with Image.open(path) as image:
        upright = np.asarray(ImageOps.exif_transpose(image))
    np.testing.assert_array_equal(np.moveaxis(fast.frames[0], 0, -1), upright)
    np.testing.assert_array_equal(fast.frames[0], slow.frames[0])
    assert (fast.exif, fast.icc_profile, fast.dpi, fast.format) == (
        slow.exif,
        slow.icc_profile,
        slow.dpi,
        slow.format,
    )


def test_cmyk_is_left_to_pillow(tmp_path: Path, samples: Path, monkeypatch) -> None:
    with Image.open(samples / "coffee.png") as image:
        path = jpeg(tmp_path, image.convert("CMYK"), "cmyk.jpg")
    fast, slow = load_both(path, monkeypatch)
    assert fast.mode == "CMYK"
    np.testing.assert_array_equal(fast.frames[0], slow.frames[0])


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_broken_files_get_pillows_message(tmp_path: Path, samples: Path, monkeypatch, cut) -> None:
    data = io.BytesIO()
    with Image.open(samples / "astronaut.png") as image:
        image.save(data, "JPEG")
    whole = data.getvalue()
    path = tmp_path / "cut.jpg"
    path.write_bytes(whole[: int(len(whole) * cut)])
    messages = []
    for decoder in (poolcli.io.fast_jpeg.decoder, None):
        monkeypatch.setattr(poolcli.io.fast_jpeg, "decoder", decoder)
        with pytest.raises(InputError) as info:
            load(path)
        messages.append(str(info.value))
    assert messages[0] == messages[1] and "truncated or corrupt image" in messages[0]
