"""The image layer: real files written, read back and compared pixel for pixel."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from poolcli import InputError, OutputError, pool
from poolcli.core.geometry import checked_geometry
from poolcli.core.passes import pool_frame
from poolcli.core.reducers import REDUCERS
from poolcli.io.picture import Picture
from poolcli.io.reading import _decode, load
from poolcli.io.writing import save
from poolcli.spec.formats import SaveOptions, format_for


def pool_image(planar, mode, size=2, stride=None, padding="valid", **flags):
    """One pass of pool_frame, placed as pool() would place it."""
    geom = checked_geometry(planar.shape[1:], size, stride, padding)
    return pool_frame(planar, REDUCERS[mode], geom, **flags)


def planar_of(image: Image.Image) -> np.ndarray:
    """The independent way: Pillow's own numpy export."""
    pixels = np.asarray(image)
    return pixels[None] if pixels.ndim == 2 else pixels.transpose(2, 0, 1)


@pytest.mark.parametrize("name", ["astronaut.png", "camera.png", "rocket.jpg", "coffee.png"])
def test_load_gives_exactly_pillows_pixels(samples: Path, name: str) -> None:
    picture = load(samples / name)
    with Image.open(samples / name) as image:
        np.testing.assert_array_equal(picture.frames[0], planar_of(image))
        assert picture.mode == image.mode
    assert picture.name.endswith(name)


def test_large_image_is_read_through_the_arrow_view_exactly(tmp_path: Path) -> None:
    # Large enough that Pillow's default allocator would split it into several blocks.
    rng = np.random.default_rng(2)
    pixels = rng.integers(0, 256, (2100, 3000, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "big.png", compress_level=0)
    frame = load(tmp_path / "big.png").frames[0]
    assert not frame.flags.writeable  # a view of Pillow's memory, not np.asarray's copy
    np.testing.assert_array_equal(frame, pixels.transpose(2, 0, 1))


@pytest.mark.parametrize(
    ("mode", "expected_mode", "dtype"),
    [
        ("L", "L", np.uint8),
        ("LA", "LA", np.uint8),
        ("RGB", "RGB", np.uint8),
        ("RGBA", "RGBA", np.uint8),
        ("CMYK", "CMYK", np.uint8),
        ("I;16", "I;16", np.uint16),
        ("I", "I", np.int32),
        ("F", "F", np.float32),
    ],
)
def test_pooling_modes_round_trip_through_tiff_exactly(
    tmp_path: Path, mode, expected_mode, dtype
) -> None:
    rng = np.random.default_rng(3)
    bands = len(Image.new(mode, (1, 1)).getbands())
    if dtype == np.float32:
        pixels = rng.normal(0, 1000, (bands, 9, 14)).astype(np.float32)
    else:
        info = np.iinfo(dtype)
        pixels = rng.integers(
            max(info.min, -(2**31)), info.max, (bands, 9, 14), dtype=dtype, endpoint=True
        )
    original = Picture(frames=[pixels], mode=mode)
    save(original, tmp_path / "x.tif")
    back = load(tmp_path / "x.tif")
    assert back.mode == expected_mode
    np.testing.assert_array_equal(back.frames[0], pixels, strict=True)


def test_sixteen_bit_png_keeps_sixteen_bits(tmp_path: Path) -> None:
    values = (np.arange(64 * 64, dtype=np.uint32) * 16 % 65536).astype(np.uint16).reshape(64, 64)
    Image.fromarray(values).save(tmp_path / "deep.png")
    picture = load(tmp_path / "deep.png")
    assert picture.mode == "I;16" and picture.frames[0].dtype == np.uint16
    pooled = picture.with_frames([pool(picture.frames[0], "avg", channel_axis=0)])
    save(pooled, tmp_path / "deep_avg.png")
    with Image.open(tmp_path / "deep_avg.png") as image:
        assert image.mode in ("I;16", "I")
        np.testing.assert_array_equal(np.asarray(image), pool(values, "avg"))


@pytest.mark.parametrize(
    ("source_mode", "expected"),
    [("1", "L"), ("P", "RGB"), ("PA", "RGBA"), ("La", "LA"), ("YCbCr", "RGB"), ("HSV", "RGB")],
)
def test_other_modes_become_the_nearest_pooling_mode(
    tmp_path: Path, samples: Path, source_mode: str, expected: str
) -> None:
    with Image.open(samples / "chelsea.png") as cat:
        base = cat.convert("RGBA" if "A" in source_mode or "a" in source_mode else "RGB")
    if base.mode == "RGBA":  # some transparency, so premultiplied modes mean something
        base.putalpha(Image.linear_gradient("L").resize(base.size))
    image = base.convert(source_mode)
    if source_mode in ("1", "P"):  # formats that store these modes: through a real file
        image.save(tmp_path / "x.png")
        picture = load(tmp_path / "x.png")
    else:  # no common format stores these: the decoding step load() runs after opening
        picture = _decode("x", image, None, animated=False, notes=[])
    assert picture.mode == expected
    np.testing.assert_array_equal(picture.frames[0], planar_of(image.convert(expected)))


def test_palette_with_transparency_becomes_rgba(tmp_path: Path) -> None:
    image = Image.new("P", (4, 4), 0)
    image.putpalette([255, 0, 0, 0, 255, 0])
    image.info["transparency"] = 0
    image.save(tmp_path / "t.png", transparency=0)
    picture = load(tmp_path / "t.png")
    assert picture.mode == "RGBA"
    assert picture.frames[0][3].max() == 0  # every pixel was the transparent index


def test_exif_orientation_is_applied_and_reset(tmp_path: Path, samples: Path) -> None:
    with Image.open(samples / "chelsea.png") as cat:
        exif = Image.Exif()
        exif[0x0112] = 6  # rotate 90 degrees clockwise to display
        exif[0x010F] = "poolimg test camera"
        cat.convert("RGB").save(tmp_path / "phone.jpg", exif=exif.tobytes(), quality=95)
    picture = load(tmp_path / "phone.jpg")
    assert picture.size == (300, 451)  # stored 451x300, shown upright
    save(picture, tmp_path / "out.jpg")
    with Image.open(tmp_path / "out.jpg") as out:
        assert out.size == (300, 451)
        assert 0x0112 not in out.getexif()
        assert out.getexif()[0x010F] == "poolimg test camera"  # the rest of EXIF is kept


def test_icc_profile_kept_and_dpi_scaled(tmp_path: Path, samples: Path) -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    with Image.open(samples / "coffee.png") as coffee:
        coffee.save(tmp_path / "c.png", icc_profile=profile, dpi=(300, 300))
    picture = load(tmp_path / "c.png")
    pooled = picture.with_frames([pool(picture.frames[0], "max", size=4, channel_axis=0)])
    save(pooled, tmp_path / "small.jpg")
    with Image.open(tmp_path / "small.jpg") as out:
        assert out.info["icc_profile"] == profile
        assert out.info["dpi"] == pytest.approx((75, 75), abs=0.5)


def test_animated_gif_keeps_frames_and_durations(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (16, 12), colour) for colour in ("red", "lime", "blue")]
    frames[0].save(
        tmp_path / "a.gif", save_all=True, append_images=frames[1:], duration=[50, 120, 300], loop=0
    )
    picture = load(tmp_path / "a.gif")
    assert len(picture.frames) == 3 and picture.durations == [50, 120, 300]
    pooled = picture.with_frames([pool(f, "max", channel_axis=0) for f in picture.frames])
    save(pooled, tmp_path / "out.gif")
    with Image.open(tmp_path / "out.gif") as out:
        assert out.n_frames == 3 and out.size == (8, 6)
        durations = []
        for i in range(3):
            out.seek(i)
            durations.append(out.info["duration"])
            assert out.convert("RGB").getpixel((3, 3)) == frames[i].getpixel((0, 0))
        assert durations == [50, 120, 300]


def test_multipage_tiff_keeps_every_page(tmp_path: Path) -> None:
    pages = [Image.new("L", (10, 10), v) for v in (10, 20, 30, 40)]
    pages[0].save(tmp_path / "p.tif", save_all=True, append_images=pages[1:])
    picture = load(tmp_path / "p.tif")
    assert [int(f[0, 0, 0]) for f in picture.frames] == [10, 20, 30, 40]
    save(
        picture.with_frames([pool(f, "avg", channel_axis=0) for f in picture.frames]),
        tmp_path / "o.tif",
    )
    with Image.open(tmp_path / "o.tif") as out:
        assert out.n_frames == 4 and out.size == (5, 5)


class TestAlphaAndLinearLight:
    def test_premultiplied_average_has_no_dark_fringe(self) -> None:
        # opaque red beside transparent black: the average is half-transparent red, not dark red
        rgba = np.zeros((4, 2, 2), np.uint8)
        rgba[:, :, 0] = [[255], [0], [0], [255]]
        out = pool_image(rgba, "avg", size=2, alpha=True)
        assert out[:, 0, 0].tolist() == [255, 0, 0, 128]
        plain = pool(rgba, "avg", size=2, channel_axis=0)
        assert plain[:, 0, 0].tolist() == [128, 0, 0, 128]  # what the naive average gives

    def test_fully_transparent_windows_stay_transparent(self) -> None:
        rgba = np.full((4, 4, 4), 77, np.uint8)
        rgba[3] = 0
        assert not pool_image(rgba, "avg", size=2, alpha=True).any()

    def test_opaque_rgba_averages_exactly_like_rgb(self, astronaut: np.ndarray) -> None:
        rgb = np.ascontiguousarray(astronaut.transpose(2, 0, 1))
        rgba = np.concatenate([rgb, np.full((1, 512, 512), 255, np.uint8)])
        out = pool_image(rgba, "avg", size=3, stride=2, padding="same", alpha=True)
        np.testing.assert_array_equal(out[:3], pool(rgb, "avg", 3, 2, "same", channel_axis=0))
        assert (out[3] == 255).all()

    def test_linear_light_average_of_black_and_white_is_sRGB_188(self) -> None:
        checker = np.array([[[0, 255], [255, 0]]], np.uint8)
        assert pool_image(checker, "avg", size=2, linear=True).item() == 188
        assert pool_image(checker, "avg", size=2).item() == 128

    @pytest.mark.parametrize("dtype", ["uint8", "uint16"])
    def test_bands_of_weighted_means_change_nothing(self, monkeypatch, dtype: str) -> None:
        # Alpha and linear averages run a band of output rows at a time; bands of one row
        # must give what one band over the whole image gives, at every padding and edge.
        from poolcli.core import passes
        from poolcli.core.reducers import reducer_for
        from poolcli.spec.pool_spec import PoolSpec

        rng = np.random.default_rng(8)
        top = np.iinfo(dtype).max
        rgba = rng.integers(0, top + 1, (4, 37, 23)).astype(dtype)
        rgba[3, :5] = 0  # fully transparent rows
        for spec in [
            PoolSpec("avg", 3, 2, "same"),
            PoolSpec("avg", (3, 2), 2, 1, count_pad=True),
            PoolSpec("avg", 2, 1, "ceil"),
            PoolSpec("avg", 2, 1, dilation=(3, 2)),
        ]:
            geom = checked_geometry(rgba.shape[1:], spec.size, spec.stride, spec.padding)
            if spec.spacing != (1, 1):
                from poolcli.core.geometry import first_pass

                geom = first_pass(spec, rgba.shape[1:])
            for flags in ({"alpha": True}, {"linear": True}, {"alpha": True, "linear": True}):
                monkeypatch.setattr(passes, "_BAND_OUTPUTS", 1 << 40)
                whole = pool_frame(rgba, reducer_for(spec), geom, **flags)
                monkeypatch.setattr(passes, "_BAND_OUTPUTS", 1)
                banded = pool_frame(rgba, reducer_for(spec), geom, **flags, threads=2)
                np.testing.assert_array_equal(banded, whole)

    def test_max_pools_alpha_like_any_channel(self) -> None:
        rgba = np.arange(64, dtype=np.uint8).reshape(4, 4, 4)
        np.testing.assert_array_equal(
            pool_image(rgba, "max", alpha=True, linear=True), pool(rgba, "max", channel_axis=0)
        )


class TestSaving:
    def test_rgba_to_jpeg_is_flattened_with_a_warning(self, tmp_path: Path) -> None:
        rgba = np.zeros((4, 2, 2), np.uint8)  # fully transparent
        notes = save(
            Picture([rgba], "RGBA"), tmp_path / "x.jpg", SaveOptions(background=(255, 255, 255))
        )
        assert notes == ["alpha flattened onto #ffffff for JPEG"]
        with Image.open(tmp_path / "x.jpg") as out:
            assert out.mode == "RGB" and min(out.getpixel((0, 0))) > 250

    def test_sixteen_bit_to_jpeg_is_reduced_with_a_warning(self, tmp_path: Path) -> None:
        deep = np.array([[[0, 257 * 100, 65535]]], np.uint16)
        notes = save(Picture([deep], "I;16"), tmp_path / "x.png")
        assert notes == []
        notes = save(Picture([deep], "I;16"), tmp_path / "x.jpg", SaveOptions(quality=100))
        assert notes == ["16-bit reduced to 8-bit for JPEG"]
        with Image.open(tmp_path / "x.jpg") as out:
            assert out.mode == "L"
            got = np.asarray(out)[0].astype(int)
            assert np.abs(got - [0, 100, 255]).max() <= 1, got

    def test_defaults_jpeg_quality_95_and_4_4_4(
        self, tmp_path: Path, astronaut: np.ndarray
    ) -> None:
        save(Picture([astronaut.transpose(2, 0, 1)], "RGB"), tmp_path / "x.jpg")
        reference = io.BytesIO()
        Image.fromarray(astronaut).save(reference, "JPEG", quality=95, subsampling=0)
        assert (tmp_path / "x.jpg").read_bytes() == reference.getvalue()

    def test_format_from_extension_or_explicit(self) -> None:
        assert format_for("a/b.JPG") == "JPEG"
        assert format_for("x.tiff") == "TIFF"
        assert format_for("x", "png") == "PNG"
        with pytest.raises(
            OutputError, match=r"cannot tell the format from \.xyz; give one with --format"
        ):
            format_for("out.xyz")

    def test_an_image_larger_than_its_format_holds_is_refused_naming_the_file(
        self, tmp_path: Path
    ) -> None:
        picture = Picture([np.zeros((3, 200, 300), np.uint8)], "RGB")
        with pytest.raises(OutputError, match=r"x\.ico: ICO holds images of at most 256x256"):
            save(picture, tmp_path / "x.ico")
        assert list(tmp_path.iterdir()) == []

    def test_writing_to_stdout_needs_a_format(self, capsysbinary) -> None:
        picture = Picture([np.zeros((1, 2, 2), np.uint8)], "L")
        with pytest.raises(OutputError, match="needs --format"):
            save(picture, "-")
        save(picture, "-", SaveOptions(format="png"))
        assert capsysbinary.readouterr().out.startswith(b"\x89PNG")

    def test_failed_write_leaves_no_file_and_keeps_the_old_one(
        self, tmp_path: Path, monkeypatch
    ) -> None:
        target = tmp_path / "out.png"
        target.write_bytes(b"previous contents")

        def broken_save(self, fp, *args, **kwargs):
            fp.write(b"half an image")
            raise KeyboardInterrupt  # as if Ctrl-C arrived mid-write

        monkeypatch.setattr(Image.Image, "save", broken_save)
        with pytest.raises(KeyboardInterrupt):
            save(Picture([np.zeros((1, 2, 2), np.uint8)], "L"), target)
        assert target.read_bytes() == b"previous contents"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]

    def test_written_files_get_normal_permissions(self, tmp_path: Path) -> None:
        save(Picture([np.zeros((1, 2, 2), np.uint8)], "L"), tmp_path / "x.png")
        assert (tmp_path / "x.png").stat().st_mode & 0o777 == 0o666 & ~_umask()

    def test_an_input_is_never_overwritten(self, tmp_path: Path, samples: Path) -> None:
        source = tmp_path / "photo.png"
        source.write_bytes((samples / "camera.png").read_bytes())
        picture = load(source)
        with pytest.raises(OutputError, match="is an input of this run; refusing to overwrite it"):
            save(picture, source, protect=[source])
        assert source.read_bytes() == (samples / "camera.png").read_bytes()

    def test_output_folder_that_cannot_be_created(self, tmp_path: Path) -> None:
        (tmp_path / "file").write_text("not a folder")
        picture = Picture([np.zeros((1, 2, 2), np.uint8)], "L")
        with pytest.raises(OutputError, match="cannot create the output folder"):
            save(picture, tmp_path / "file" / "sub" / "x.png")
        with pytest.raises(OutputError, match="cannot"):
            save(picture, "/proc/poolimg-test/x.png")


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


class TestBadInput:
    """Each bad input gets one InputError naming the file and the problem."""

    def check(self, path, reason: str, **kwargs) -> None:
        with pytest.raises(InputError) as caught:
            load(path, **kwargs)
        message = str(caught.value)
        assert message.startswith(f"{path}: "), message
        assert reason in message
        assert "\n" not in message

    def test_missing_file(self, tmp_path: Path) -> None:
        self.check(tmp_path / "nope.jpg", "no such file")

    def test_folder(self, tmp_path: Path) -> None:
        self.check(tmp_path, "is a folder, not an image file")

    def test_zero_byte_file(self, tmp_path: Path) -> None:
        (tmp_path / "empty.png").write_bytes(b"")
        self.check(tmp_path / "empty.png", "empty file (0 bytes)")

    def test_text_named_jpg(self, tmp_path: Path) -> None:
        (tmp_path / "notes.jpg").write_text("shopping list\n")
        self.check(tmp_path / "notes.jpg", "not an image file")

    @pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
    def test_truncated_file(self, tmp_path: Path, samples: Path, fmt: str) -> None:
        data = io.BytesIO()
        with Image.open(samples / "astronaut.png") as image:
            image.save(data, fmt)
        path = tmp_path / f"cut.{fmt.lower()}"
        path.write_bytes(data.getvalue()[: len(data.getvalue()) // 2])
        self.check(path, "truncated or corrupt image")

    def test_decompression_bomb(self, tmp_path: Path) -> None:
        Image.new("L", (400, 300)).save(tmp_path / "bomb.png")
        self.check(
            tmp_path / "bomb.png",
            "400x300 is 120000 pixels, over the limit of 100000 pixels",
            max_pixels=100_000,
        )
        self.check(tmp_path / "bomb.png", "raise the limit with --max-pixels", max_pixels=100_000)
        assert load(tmp_path / "bomb.png", max_pixels=None).size == (400, 300)

    def test_permission_denied(self, tmp_path: Path, monkeypatch) -> None:
        # Tests run as root in CI, where chmod 000 stops nothing: make open() refuse instead.
        path = tmp_path / "secret.png"
        Image.new("L", (2, 2)).save(path)

        real = os.open

        def refuse(name, *args, **kwargs):
            if os.fspath(name) == str(path):
                raise PermissionError(13, "Permission denied", str(name))
            return real(name, *args, **kwargs)

        monkeypatch.setattr(os, "open", refuse)
        self.check(path, "permission denied")


def test_32_bit_integers_to_png_are_clipped_to_16_bit_with_a_warning(tmp_path: Path) -> None:
    values = np.array([[[-5, 300, 70000]]], np.int32)
    notes = save(Picture([values], "I"), tmp_path / "x.png")
    assert notes == ["32-bit integer clipped to 16-bit for PNG"]
    with Image.open(tmp_path / "x.png") as out:
        assert np.asarray(out).tolist() == [[0, 300, 65535]]
