"""A slice of the fuzz campaign on every run (the full one: ``python -m tests.fuzz``), and
checks that the harness itself can see what it looks for."""

from __future__ import annotations

from pathlib import Path

import pytest

from .fuzz.harness import Finding, Summary, _check_json, _check_stderr, campaign
from .fuzz.mutate import dimension_fields, mutate
from .fuzz.seeds import seeds


@pytest.mark.slow
def test_a_slice_of_the_campaign_breaks_no_promise() -> None:
    summary = campaign(mutants=116, seed=2026, batch=58)
    assert summary.findings == [], "\n".join(
        f"{f.kind}: {f.mutant}: {f.detail}" for f in summary.findings
    )
    # per folder: the batch, the banded batch and the batch across frames, then plan,
    # compare (2), compare --shift (2), maxblurpool, blurpool in bands, --global, sum, --to,
    # mode, mode --ignore, mode and sum across frames into TIFF, avg --ignore nan, median,
    # stochastic, explore, --dry-run, --show, show, median in bands and stdin runs
    assert summary.mutants == 116 and summary.cli_runs == 2 * (
        3 + 3 + 2 + 2 + 3 + 3 + 3 + 3 + 3 + 3 + 3 + 3 + 3 + 3 + 3 + 3 + 3 + 3 + 3 + 3 + 3 + 3
    )
    assert summary.outcomes["done"] > 10 and summary.outcomes["failed"] > 10


@pytest.mark.slow
def test_a_slice_of_the_structured_campaign_breaks_no_promise() -> None:
    summary = campaign(mutants=70, seed=2026, batch=70, structured=True)
    assert summary.findings == [], "\n".join(
        f"{f.kind}: {f.mutant}: {f.detail}" for f in summary.findings
    )
    assert summary.mutants == 70
    assert summary.outcomes["done"] > 10 and summary.outcomes["failed"] > 10


def test_structured_mutants_keep_the_structure_a_format_checks() -> None:
    # The point of them: past the checksums and lengths, so the damage reaches the decoder.
    import struct
    import zlib

    originals = seeds()
    edited = 0
    for index in range(60):
        mutant = mutate(originals["exif.png"], "exif.png", 3, index, structured=True)
        at = 8  # every whole chunk's CRC is right (a blind edit may cut the last one short)
        while at + 12 <= len(mutant):
            (length,) = struct.unpack_from(">I", mutant, at)
            end = at + 8 + length
            if end + 4 > len(mutant):
                break
            assert struct.unpack_from(">I", mutant, end)[0] == zlib.crc32(mutant[at + 4 : end])
            at = end + 4
        edited += mutant != originals["exif.png"]
    assert edited > 50
    for name in ("rgb.jpg", "tiled.tif", "disposal.gif", "animated.webp"):
        mutants = {mutate(originals[name], name, 3, i, structured=True) for i in range(30)}
        assert len(mutants) > 20, name


def test_mutants_are_deterministic_and_reach_every_header() -> None:
    originals = seeds()
    assert len(originals) >= 29
    for name, data in originals.items():
        assert mutate(data, name, 1, 7) == mutate(data, name, 1, 7)
        if not name.endswith((".ppm", ".pgm", ".pbm")):  # their sizes are text
            assert list(dimension_fields(data, name)), name
    assert len({mutate(originals["rgb.png"], "rgb.png", 1, i) for i in range(50)}) > 45


def test_the_harness_sees_a_traceback_a_stray_line_and_a_missing_json_line(tmp_path: Path) -> None:
    summary = Summary()
    _check_stderr(b'Traceback (most recent call last):\n  File "x.py"', "m", summary)
    _check_stderr(b"poolimg: error: a.png: bad\nLZWDecode: Not enough data\n", "m", summary)
    inputs = [tmp_path / "a.png", tmp_path / "b.png"]
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "stray.png").write_bytes(b"x")
    _check_json(
        b'{"input": "%s", "status": "done", "outputs": []}\n' % str(inputs[0]).encode(),
        inputs,
        tmp_path / "out",
        "m",
        summary,
    )
    assert [f.kind for f in summary.findings] == ["crash", "stderr", "output", "output"]
    assert isinstance(summary.findings[0], Finding)
