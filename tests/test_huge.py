"""Images past memory (issue 24): the banded path, run as a user runs it, against the
in-memory path's files; the band encoders against readers that share no code with them
(pypng, tifffile, Pillow); hostile files through the band reader."""

from __future__ import annotations

import io
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from poolcli.io import band_writing
from poolcli.io.band_writing import PngRows, TiffTiles
from tests.helpers import assert_clean_stderr, json_lines, poolimg

pyvips = pytest.importorskip("pyvips", reason="libvips (poolimg[huge]) is not installed")
png = pytest.importorskip("png")
tifffile = pytest.importorskip("tifffile")

SAMPLES = Path(__file__).resolve().parent.parent / "sample_images"
# A small image that bands help under a tiny --max-memory: tall and narrow, since libvips keeps
# about a thousand decoded lines (huge.VIPS_CACHED_LINES), all of a shorter image.
TALL = (4000, 100, 3)


def photo(shape: tuple[int, ...], seed: int = 0, dtype=np.uint8) -> np.ndarray:
    """Smooth picture with noise: neither flat nor random, so every filter gets used."""
    rng = np.random.default_rng(seed)
    top = np.iinfo(dtype).max
    y, x = np.mgrid[0 : shape[0], 0 : shape[1]]
    base = (np.sin(x / 17.0) + np.cos(y / 11.0) + 2) / 4 * top
    if len(shape) == 3:
        base = base[..., None] * np.linspace(0.5, 1, shape[2])
    noisy = base + rng.normal(0, top / 50, shape)
    return np.clip(noisy, 0, top).astype(dtype)


def run_measured(*args: object) -> tuple[int, bytes, int]:
    """Run poolimg in a child of a child: its exit code, its stderr and its peak resident
    memory in bytes (the grandparent reads RUSAGE_CHILDREN, which counts that child alone)."""
    code = (
        "import resource, subprocess, sys;"
        "p = subprocess.run(sys.argv[1:], capture_output=True);"
        "sys.stderr.buffer.write(p.stderr);"
        "print(p.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    argv = [sys.executable, "-c", code, sys.executable, "-m", "poolcli", *map(str, args)]
    done = subprocess.run(argv, capture_output=True, check=False, timeout=300)
    returncode, kib = map(int, done.stdout.split())
    return returncode, done.stderr, kib * 1024


def exact_pixels(path: Path) -> np.ndarray:
    """A file's pixels as they are stored (Pillow would cut 16-bit colour to 8 bits): pypng
    for PNG, tifffile for TIFF, Pillow for the rest."""
    if path.suffix == ".png":
        width, height, rows, info = png.Reader(filename=str(path)).asDirect()
        planes = info["planes"]
        pixels = np.vstack([np.array(row, np.uint16) for row in rows])
        return pixels.reshape(height, width, planes).astype(f"u{info['bitdepth'] // 8 or 1}")
    if path.suffix == ".tif":
        return tifffile.imread(path)
    with Image.open(path) as image:
        return np.asarray(image)


def files_equal(a: Path, b: Path) -> None:
    x, y = exact_pixels(a), exact_pixels(b)
    assert (x.dtype, x.shape) == (y.dtype, y.shape), (a.name, x.dtype, y.dtype)
    np.testing.assert_array_equal(x, y, err_msg=a.name)


def both_ways(tmp_path: Path, source: Path, *args: object) -> list[Path]:
    """Run poolimg on ``source`` in memory and in bands; assert the files are the same;
    return the banded run's files."""
    whole = poolimg(*args, source, "-o", tmp_path / "whole", "--json")
    assert whole.returncode == 0, whole.stderr
    assert "banded" not in json_lines(whole.stdout)[0]["ms"]
    banded = poolimg(*args, source, "-o", tmp_path / "banded", "--json", "--in-bands")
    assert banded.returncode == 0, banded.stderr
    assert "banded" in json_lines(banded.stdout)[0]["ms"], banded.stdout  # the path taken
    assert_clean_stderr(banded.stderr)
    made = sorted((tmp_path / "banded").iterdir())
    assert [p.name for p in made] == sorted(p.name for p in (tmp_path / "whole").iterdir())
    assert made
    for path in made:
        files_equal(tmp_path / "whole" / path.name, path)
    return made


@pytest.mark.parametrize(
    ("mode", "shape", "dtype", "suffix"),
    [
        ("L", (700, 530), np.uint8, ".png"),
        ("LA", (700, 530, 2), np.uint8, ".png"),
        ("RGB", (700, 530, 3), np.uint8, ".png"),
        ("RGBA", (700, 530, 4), np.uint8, ".png"),
        ("I;16", (700, 530), np.uint16, ".png"),
        ("RGB", (700, 530, 3), np.uint8, ".tif"),
        ("L", (700, 530), np.uint8, ".tif"),
        ("RGB", (700, 530, 3), np.uint8, ".jpg"),
    ],
)
def test_every_kind_of_pixel_pools_the_same_in_bands(
    tmp_path: Path, mode: str, shape: tuple[int, ...], dtype, suffix: str
) -> None:
    source = tmp_path / f"in{suffix}"
    pixels = photo(shape, dtype=dtype)
    Image.fromarray(pixels).save(source)
    with Image.open(source) as check:
        assert check.mode == mode
    both_ways(tmp_path, source, "avg", "-n", "3")


def test_a_16_bit_colour_png_is_cut_to_its_high_bytes_as_pillow_cuts_it(tmp_path: Path) -> None:
    source = tmp_path / "deep.png"
    pixels = photo((300, 410, 3), dtype=np.uint16)
    writer = png.Writer(410, 300, greyscale=False, bitdepth=16)
    with open(source, "wb") as handle:
        writer.write(handle, pixels.reshape(300, -1).tolist())
    both_ways(tmp_path, source, "max", "-n", "2")


@pytest.mark.parametrize(
    "args",
    [
        ("max", "-k", "3", "-s", "2", "-p", "same", "-n", "2"),
        ("avg", "-k", "3", "-s", "2", "-p", "1", "--count-pad"),
        ("min", "-k", "2", "-s", "3", "-p", "ceil"),
        ("median", "-k", "3", "-s", "2"),
        ("mode", "-k", "2"),
        ("sum", "-k", "4", "-n", "2"),  # deep: a 16-bit PNG
        ("lp", "--power", "2", "-k", "2"),
        ("avg", "--to", "131x"),
        ("avg", "--linear", "-k", "2", "-n", "2"),
        ("avg", "--ignore", "0", "-k", "3", "-s", "2"),
        ("stride", "-k", "3"),
    ],
    ids=lambda a: "-".join(a[:3]),
)
def test_every_streaming_mode_writes_the_in_memory_files(tmp_path: Path, args) -> None:
    source = tmp_path / "photo.png"
    Image.fromarray(photo((611, 397, 4))).save(source)
    both_ways(tmp_path, source, *args)


def test_outputs_held_whole_in_a_format_that_cannot_stream(tmp_path: Path) -> None:
    source = tmp_path / "photo.png"
    Image.fromarray(photo((500, 400, 3))).save(source)
    made = both_ways(tmp_path, source, "avg", "-n", "2", "--format", "webp")
    assert all(p.suffix == ".webp" for p in made)


@pytest.mark.parametrize("fmt", ["tiff", "png"])
def test_the_banded_run_carries_the_metadata_the_in_memory_run_does(
    tmp_path: Path, fmt: str
) -> None:
    source = tmp_path / "profiled.png"
    icc = b"\0\0\0\x90not a real profile, carried as it is" * 4  # carried as bytes
    exif = Image.Exif()
    exif[0x010F] = "A camera maker"
    exif[0x0112] = 1  # upright: the orientation goes, as the in-memory run drops it
    picture = Image.fromarray(photo((300, 300, 3)))
    picture.save(source, icc_profile=icc, dpi=(300, 300), exif=exif.tobytes())
    for out in both_ways(tmp_path, source, "avg", "-n", "2", "--format", fmt):
        with Image.open(out) as banded, Image.open(tmp_path / "whole" / out.name) as whole:
            assert banded.info.get("icc_profile") == icc
            assert tuple(round(d) for d in banded.info["dpi"]) == (300, 300)
            if fmt == "png":  # TIFF's EXIF is an IFD of its own, which bands do not write
                assert dict(banded.getexif()) == dict(whole.getexif()) == {0x010F: "A camera maker"}


@pytest.mark.parametrize(
    ("name", "make", "args", "why"),
    [
        ("anim.gif", "gif", (), "frames are pooled one by one"),
        ("photo.png", "png", ("--sheet",), "sheets and pages"),
        ("photo.png", "png", ("--unpool",), "--unpool and --winners"),
        ("photo.webp", "webp", (), "only PNG, TIFF and JPEG"),
        ("photo.png", "png", ("--to", "1x1"), "whole image"),
    ],
)
def test_an_image_past_memory_that_cannot_stream_is_refused_saying_why(
    tmp_path: Path, name: str, make: str, args, why: str
) -> None:
    source = tmp_path / name
    frames = [Image.fromarray(photo((400, 400, 3), seed)) for seed in range(2)]
    if make == "gif":
        frames[0].save(source, save_all=True, append_images=frames[1:])
    else:
        frames[0].save(source)
    done = poolimg("max", source, "-o", tmp_path / "out", "--max-memory", "300K", *args)
    assert done.returncode == 1
    line = done.stderr.decode().strip().splitlines()[0]
    assert line.startswith(f"poolimg: error: {source}: 400x400 needs about "), line
    assert "over --max-memory 300 KiB" in line and why in line, line
    assert not any((tmp_path / "out").glob("*")) if (tmp_path / "out").exists() else True


def test_without_libvips_the_one_line_says_what_to_install(tmp_path: Path) -> None:
    blocker = tmp_path / "blocked"
    blocker.mkdir()
    (blocker / "pyvips.py").write_text("raise ImportError('no libvips here')\n")
    source = tmp_path / "photo.png"
    Image.fromarray(photo((400, 400, 3))).save(source)
    env = {"PYTHONPATH": f"{blocker}:{Path(__file__).resolve().parent.parent}"}
    done = poolimg("avg", source, "-o", tmp_path / "out", "--max-memory", "1M", env=env)
    assert done.returncode == 1
    lines = done.stderr.decode().strip().splitlines()
    assert 'pip install "poolimg[huge]"' in lines[0] and str(source) in lines[0], lines
    # within the budget, the default install pools it as before
    assert poolimg("avg", source, "-o", tmp_path / "out", env=env).returncode == 0


def test_a_truncated_png_fails_in_one_line_and_leaves_no_file(tmp_path: Path) -> None:
    source = tmp_path / "cut.png"
    Image.fromarray(photo(TALL)).save(source)
    data = source.read_bytes()
    source.write_bytes(data[: len(data) // 2])
    out = tmp_path / "out"
    done = poolimg("avg", source, "-o", out, "-n", "2", "--max-memory", "1M", "--max-pixels", "0")
    assert done.returncode == 1
    text = done.stderr.decode()
    assert f"poolimg: error: {source}: truncated or corrupt image" in text, text
    assert_clean_stderr(done.stderr)
    assert not out.exists() or not any(out.iterdir())  # no pass half-written, no .part left


def test_a_header_that_lies_about_its_size_fails_fast_in_bounded_memory(tmp_path: Path) -> None:
    """A 300-byte PNG claiming 60000x60000 pixels: allowed past the bomb check, it must fail
    at its first missing row, not decode 3.6 GP of nothing."""
    header = b"\x89PNG\r\n\x1a\n"

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    ihdr = (60000).to_bytes(4, "big") * 2 + bytes([8, 0, 0, 0, 0])
    idat = zlib.compress(b"\0" * 60001 * 3)  # three rows
    source = tmp_path / "liar.png"
    source.write_bytes(header + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b""))
    # 256M: a thousand decoded lines of 60000 pixels, what libvips keeps, fit in the bands
    argv = ["avg", source, "-o", tmp_path / "o", "--max-pixels", "0", "--max-memory", "256M"]
    code_, stderr, peak = run_measured(*argv)
    assert code_ == 1, stderr
    assert b"truncated or corrupt image" in stderr, stderr
    assert peak < 400 << 20, peak >> 20  # the interpreter and libraries, and a few bands


def test_a_banded_run_holds_flat_memory_whatever_the_size(tmp_path: Path) -> None:
    """Peak memory of the runs of a 28-MP and a 56-MP grey PNG, as wide, one twice as tall
    (under the 64 MP from which a PNG is banded whenever it can be): in memory, the peak grows
    with the image (28 MB more pixels); in bands it stays where it was, a few bands past the
    interpreter and libraries."""
    tile = photo((1000, 1000))
    sizes = {"small": (8, 3.5), "large": (16, 3.5)}

    def peak(name: str, *extra: str) -> int:
        source = tmp_path / f"{name}.png"
        if not source.exists():
            down, across = sizes[name]
            pixels = np.tile(tile, (down, int(across * 2)))[:, : int(across * 1000)]
            Image.fromarray(pixels).save(source, compress_level=1)
        out = tmp_path / "o" / f"{name}{len(extra)}"
        code, stderr, bytes_ = run_measured("avg", source, "-n", "2", "-o", out, *extra)
        assert code == 0, stderr
        return bytes_

    grows = peak("large") - peak("small")
    banded_grows = peak("large", "--max-memory", "32M") - peak("small", "--max-memory", "32M")
    assert grows > 24 << 20, grows >> 20
    assert banded_grows < 8 << 20, banded_grows >> 20
    assert peak("large", "--max-memory", "32M") < 130 << 20  # interpreter, libraries, bands


# the encoders, against readers that share no code with them


@pytest.mark.parametrize(
    ("mode", "channels", "dtype"),
    [
        ("L", 1, np.uint8),
        ("LA", 2, np.uint8),
        ("RGB", 3, np.uint8),
        ("RGBA", 4, np.uint8),
        ("I;16", 1, np.uint16),
        ("RGB", 3, np.uint16),
    ],
)
def test_the_band_encoders_write_what_independent_readers_read(
    mode: str, channels: int, dtype
) -> None:
    rng = np.random.default_rng(channels)
    image = photo((517, 301, channels), dtype=dtype).transpose(2, 0, 1).copy()
    image[:, 200:260] = rng.integers(0, 9, (channels, 60, 301))  # a band of near-flat noise
    handle = io.BytesIO()
    writer = PngRows(handle, 301, 517, mode, np.dtype(dtype), dpi=(72.0, 72.0))
    for top in range(0, 517, 37):
        writer.write(image[:, top : top + 37])
    writer.close()
    width, height, rows, _ = png.Reader(bytes=handle.getvalue()).read()
    read = np.vstack([np.array(row) for row in rows]).reshape(height, width, channels)
    np.testing.assert_array_equal(read.transpose(2, 0, 1), image)
    handle = io.BytesIO()
    tiles = TiffTiles(handle, 301, 517, mode, np.dtype(dtype))
    for top in range(0, 517, 100):
        tiles.write(image[:, top : top + 100])
    tiles.close()
    handle.seek(0)
    read = tifffile.imread(handle)
    np.testing.assert_array_equal(read.reshape(517, 301, channels).transpose(2, 0, 1), image)


def unfiltered(filtered: np.ndarray, bpp: int) -> np.ndarray:
    """The PNG specification's reconstruction (section 9), a byte at a time: the reference
    every filter type is checked against."""
    rows = []
    above = [0] * (filtered.shape[1] - 1)
    for line in filtered.tolist():
        kind, data, out = line[0], line[1:], []
        for i, x in enumerate(data):
            a = out[i - bpp] if i >= bpp else 0
            b, c = above[i], above[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            paeth = a if pa <= pb and pa <= pc else b if pb <= pc else c
            predicted = [0, a, b, (a + b) // 2, paeth][kind]
            out.append((x + predicted) % 256)
        rows.append(out)
        above = out
    return np.array(rows, np.uint8)


@pytest.mark.parametrize("only", [None, 0, 1, 2, 3, 4])
@pytest.mark.parametrize("bpp", [1, 3, 8])
def test_every_png_filter_reconstructs_by_the_specification(only, bpp: int) -> None:
    rng = np.random.default_rng(bpp)
    raw = rng.integers(0, 4, (12, bpp * 9), dtype=np.uint8)  # few values: ties everywhere
    raw[6:] = photo((6, bpp * 9))  # and a smooth part
    filtered = band_writing._filter_rows(raw, np.zeros(raw.shape[1], np.uint8), bpp, only)
    np.testing.assert_array_equal(unfiltered(filtered, bpp), raw)
    if only is None:  # the heuristic picks more than one filter on such rows
        assert len(set(filtered[:, 0].tolist())) >= 2


def test_past_4_gib_the_tiff_is_a_bigtiff(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(band_writing, "BIGTIFF_PAST", 1000)
    handle = io.BytesIO()
    image = photo((300, 520, 3)).transpose(2, 0, 1).copy()
    tiles = TiffTiles(handle, 520, 300, "RGB", np.dtype(np.uint8), dpi=(300.0, 300.0))
    tiles.write(image)
    tiles.close()
    handle.seek(0)
    with tifffile.TiffFile(handle) as tiff:
        assert tiff.is_bigtiff and tiff.pages[0].is_tiled
        np.testing.assert_array_equal(tiff.asarray().transpose(2, 0, 1), image)
    handle.seek(0)
    vips = pyvips.Image.new_from_buffer(handle.getvalue(), "")
    assert (vips.width, vips.height, vips.bands) == (520, 300, 3)


@pytest.mark.parametrize("name", ["rocket.jpg", "retina.jpg", "hubble_deep_field.jpg"])
def test_libvips_decodes_a_jpeg_to_pillows_pixels(name: str) -> None:
    from poolcli.io.band_reading import BandReader

    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{name} is not among the samples")
    read = np.concatenate(list(BandReader(str(path), "RGB").bands(37)), axis=1)
    with Image.open(path) as image:
        expected = np.asarray(image.convert("RGB")).transpose(2, 0, 1)
    np.testing.assert_array_equal(read, expected)


def test_plan_says_how_the_pixels_are_held(tmp_path: Path) -> None:
    source = tmp_path / "photo.png"
    Image.fromarray(photo(TALL)).save(source)
    said = poolimg("plan", source, "-n", "2").stdout.decode()
    assert "memory: decoded whole, about" in said, said
    said = poolimg("plan", source, "-n", "2", "--max-memory", "1M").stdout.decode()
    assert "memory: in bands of rows (libvips), about" in said, said
    done = poolimg("plan", source, "--max-memory", "10K", "--json")
    memory = json_lines(done.stdout)[0]["memory"]
    assert memory["path"] == "refused" and "raise --max-memory" in memory["why"], memory


def test_past_max_memory_an_image_is_banded_without_being_asked(tmp_path: Path) -> None:
    source = tmp_path / "photo.png"
    Image.fromarray(photo(TALL)).save(source)
    done = poolimg("avg", source, "-o", tmp_path / "out", "--json", "--max-memory", "1M")
    assert done.returncode == 0, done.stderr
    assert "banded" in json_lines(done.stdout)[0]["ms"]


def test_a_dry_run_refuses_what_the_run_would_refuse(tmp_path: Path) -> None:
    source = tmp_path / "photo.png"
    Image.fromarray(photo(TALL)).save(source)
    args = ["avg", source, "-o", tmp_path / "out", "--max-memory", "1M", "--json"]
    dry = poolimg(*args, "--sheet", "--dry-run")
    assert dry.returncode == 1
    (line,) = json_lines(dry.stdout)
    assert line["status"] == "failed" and "sheets and pages are drawn" in line["error"], line
    assert not (tmp_path / "out").exists()
    banded = json_lines(poolimg(*args, "--dry-run").stdout)[0]  # in bands: the same files
    assert banded["status"] == "done" and len(banded["outputs"]) == 1, banded


def test_a_fit_that_stops_short_says_so_in_bands_as_in_memory(tmp_path: Path) -> None:
    """``-n fit:1`` with 3x3 windows stops at 2x2 (no 3x3 window fits it): both paths write
    the same passes and say the same word about it."""
    source = tmp_path / "p.png"
    Image.fromarray(photo((530, 700, 3))).save(source)
    said = []
    for how in ([], ["--in-bands"]):
        done = poolimg(
            "max", source, "-k", "3", "-n", "fit:1", "--json", *how, "-o", tmp_path / "o"
        )
        assert done.returncode == 0, done.stderr
        (line,) = json_lines(done.stdout)
        said.append(line["warnings"])
    assert said[0] == said[1] == ["-n fit:1 stopped at 2x2 after pass 5: no further pass fits"]
