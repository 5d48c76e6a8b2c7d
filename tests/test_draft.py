"""Shrink-on-load (``--draft``): libjpeg's scaled decode in place of the first averages, run
as a user runs it, against Pillow's own scaled decode and against the exact passes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.helpers import assert_clean_stderr, poolimg

SAMPLES = Path(__file__).resolve().parent.parent / "sample_images"
JPEGS = sorted(SAMPLES.glob("*.jpg"))


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image).astype(np.int16)


def passes(folder: Path) -> list[Path]:
    return sorted(folder.iterdir())


@pytest.mark.parametrize("source", JPEGS, ids=lambda p: p.name)
def test_draft_passes_are_close_to_the_exact_ones_and_the_same_size(
    tmp_path: Path, source: Path
) -> None:
    args = ["avg", source, "-n", "3", "--format", "png", "-o"]
    assert poolimg(*args, tmp_path / "exact").returncode == 0
    done = poolimg(*args, tmp_path / "draft", "--draft")
    assert done.returncode == 0, done.stderr
    assert_clean_stderr(done.stderr)
    drafted, exact = passes(tmp_path / "draft"), passes(tmp_path / "exact")
    assert [p.name for p in drafted] == [p.name for p in exact]
    for ours, theirs in zip(drafted, exact, strict=True):
        a, b = pixels(ours), pixels(theirs)
        assert a.shape == b.shape
        diff = np.abs(a - b)
        assert diff.max() <= 24 and diff.mean() < 1.5, (ours.name, diff.max(), diff.mean())
    # the first pass is the 1/2 decode, not the exact average: the draft was used
    assert np.abs(pixels(drafted[0]) - pixels(exact[0])).max() > 0


def test_final_only_decodes_at_an_eighth_as_pillow_does(tmp_path: Path) -> None:
    source = SAMPLES / "retina.jpg"
    done = poolimg(
        "avg", source, "-n", "3", "--final-only", "--draft", "--format", "png", "-o", tmp_path
    )
    assert done.returncode == 0, done.stderr
    (written,) = passes(tmp_path)
    with Image.open(source) as image:
        width, height = image.size
        image.draft("RGB", (width // 8, height // 8))
        assert image.size == (-(-width // 8), -(-height // 8))  # libjpeg's 1/8
        expected = np.asarray(image.convert("RGB"))[: height // 8, : width // 8]
    np.testing.assert_array_equal(pixels(written), expected)


def test_draft_stops_where_windows_no_longer_tile_and_runs_the_rest_exactly(
    tmp_path: Path,
) -> None:
    source = SAMPLES / "rocket.jpg"  # 640x427: a 1/2 decode, then one exact 3x3 pass
    args = ["avg", source, "-k", "3", "-n", "1", "--format", "png", "-o"]
    assert poolimg(*args, tmp_path / "exact").returncode == 0
    assert poolimg(*args, tmp_path / "draft", "--draft").returncode == 0
    (exact,), (drafted,) = passes(tmp_path / "exact"), passes(tmp_path / "draft")
    np.testing.assert_array_equal(pixels(drafted), pixels(exact))  # 3x3: no draft at all


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (["max", "--draft"], "--draft decodes averages (avg), not max"),
        (["avg", "--draft", "--sheet"], "goes without sheets"),
        (["avg", "--draft", "--linear"], "drop --linear"),
    ],
)
def test_draft_where_it_cannot_apply_is_a_usage_error(
    tmp_path: Path, args: list[str], why: str
) -> None:
    done = poolimg(*args, SAMPLES / "rocket.jpg", "-o", tmp_path / "out")
    assert done.returncode == 2
    assert why in done.stderr.decode(), done.stderr
    assert not (tmp_path / "out").exists()


def test_draft_leaves_other_formats_and_turned_jpegs_exact(tmp_path: Path) -> None:
    turned = tmp_path / "turned.jpg"
    with Image.open(SAMPLES / "rocket.jpg") as image:
        exif = Image.Exif()
        exif[0x0112] = 6
        image.save(turned, exif=exif.tobytes(), quality=95)
    for source in (SAMPLES / "coffee.png", turned):
        args = ["avg", source, "-n", "2", "--format", "png", "-o"]
        assert poolimg(*args, tmp_path / source.stem / "exact").returncode == 0
        done = poolimg(*args, tmp_path / source.stem / "draft", "--draft")
        assert done.returncode == 0
        for a, b in zip(
            passes(tmp_path / source.stem / "exact"),
            passes(tmp_path / source.stem / "draft"),
            strict=True,
        ):
            np.testing.assert_array_equal(pixels(a), pixels(b))
    assert b"--draft skipped: the JPEG is turned" in done.stderr
