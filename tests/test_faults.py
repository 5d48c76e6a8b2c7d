"""Faults from outside the files (issue 26): a full disk, links inside the output folder,
special files among the inputs, standard output closed or full, signals and a dead parent,
files whose header alone says they cost too much, a storage service that is down.

Each case is run as a user runs it. The full-disk cases mount a small tmpfs, which needs
root: where mounting is not allowed they skip, and say so.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from poolcli import OutputError
from poolcli.io.picture import Picture
from poolcli.io.reading import load
from poolcli.io.writing import save

from .helpers import assert_clean_stderr, json_lines, peak_memory_mib, poolimg, wait_for_output

FORMATS = ("jpg", "png", "tif", "bmp", "gif", "webp")


# --- a full disk ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_disk(tmp_path_factory: pytest.TempPathFactory):
    """A 2 MiB tmpfs, filled by each test to the level it wants."""
    where = tmp_path_factory.mktemp("disk")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(
            f"cannot mount a tmpfs here ({mounted.stderr.decode().strip()}): "
            "the full-disk checks need root"
        )
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)


def fill(disk: Path, free: int) -> None:
    """Leave about ``free`` bytes free on ``disk``, with nothing else on it."""
    for entry in disk.iterdir():
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    stats = os.statvfs(disk)
    available = stats.f_bavail * stats.f_frsize
    with open(disk / "filler", "wb") as filler:
        filler.write(b"\0" * max(0, available - free))


def encoded_size(picture: Picture, ext: str) -> int:
    from poolcli.io.writing import encode

    frames, args, _ = encode(picture, {"jpg": "JPEG", "tif": "TIFF"}.get(ext, ext.upper()))
    buffer = io.BytesIO()
    frames[0].save(buffer, {"jpg": "JPEG", "tif": "TIFF"}.get(ext, ext.upper()), **args)
    return len(buffer.getvalue())


@pytest.mark.parametrize("ext", FORMATS)
def test_a_full_disk_never_leaves_an_incomplete_file_under_the_final_name(
    small_disk: Path, samples: Path, ext: str
) -> None:
    # The disk fills at every point of the write, a page at a time around the file's size:
    # each write is either whole (and decodes) or fails naming the disk, with no file left.
    # Pillow's JPEG encoder took a short write for success: a file cut at a page boundary
    # was reported written.
    whole = load(samples / "hubble_deep_field.jpg")
    picture = whole.with_frames([whole.frames[0][:, :400, :400].copy()])  # TIFF: 480 KB
    size = encoded_size(picture, ext)
    outcomes = set()
    for free in range(max(0, size - 12 * 4096), size + 3 * 4096, 4096):
        fill(small_disk, free)
        target = small_disk / "d" / f"out.{ext}"
        try:
            save(picture, target)
        except OutputError as exc:
            assert "no space left on device" in str(exc), exc
            assert not target.exists(), free
            outcomes.add("failed")
        else:
            assert target.stat().st_size == size, free
            with Image.open(target) as written:
                written.load()
            outcomes.add("whole")
        leftovers = [p.name for p in (small_disk / "d").iterdir() if p.name != target.name]
        assert leftovers == [], leftovers
    assert outcomes == {"failed", "whole"}


def test_a_full_disk_fails_the_input_in_json_and_a_rerun_repairs_it(
    small_disk: Path, samples: Path
) -> None:
    source = samples / "hubble_deep_field.jpg"
    size = encoded_size(load(source).with_frames([load(source).frames[0][:, ::2, ::2]]), "jpg")
    out = small_disk / "out"
    failed = 0
    for free in range(size - 8 * 4096, size, 4096):
        fill(small_disk, free)
        run = poolimg("max", source, "--json", "-o", f"{out}/")
        line = json_lines(run.stdout)[0]
        assert run.returncode == (0 if line["status"] == "done" else 1)
        if line["status"] == "failed":
            failed += 1
            assert "no space left on device" in line["error"]
            assert not out.exists() or list(out.iterdir()) == []
        else:
            assert (
                line["outputs"][0]["bytes"]
                == (out / line["outputs"][0]["path"].split("/")[-1]).stat().st_size
            )
        assert_clean_stderr(run.stderr)
    assert failed
    fill(small_disk, 1 << 20)
    rerun = poolimg("max", source, "--json", "--no-clobber", "-o", f"{out}/")
    assert json_lines(rerun.stdout)[0]["status"] == "done"
    with Image.open(next(out.iterdir())) as written:
        written.load()


# --- links inside the output folder ---------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path, samples: Path) -> Path:
    (tmp_path / "in" / "sub").mkdir(parents=True)
    shutil.copy(samples / "rocket.jpg", tmp_path / "in" / "sub" / "a.jpg")
    shutil.copy(samples / "camera.png", tmp_path / "in" / "b.png")
    (tmp_path / "out").mkdir()
    (tmp_path / "elsewhere").mkdir()
    return tmp_path


def test_a_link_inside_the_output_folder_never_leads_a_write_outside_it(tree: Path) -> None:
    (tree / "out" / "sub").symlink_to(tree / "elsewhere")
    run = poolimg("max", "in", "-r", "-o", "out", "--json", "--sheet", cwd=tree)
    assert run.returncode == 1
    lines = {Path(line["input"]).name: line for line in json_lines(run.stdout)}
    assert lines["b.png"]["status"] == "done"
    assert lines["a.jpg"]["status"] == "failed"
    assert lines["a.jpg"]["error"].startswith("out/sub: is a link to ")
    assert "outside the output folder" in lines["a.jpg"]["error"]
    assert list((tree / "elsewhere").iterdir()) == []
    assert_clean_stderr(run.stderr)


def test_a_link_back_into_the_inputs_is_refused_and_the_inputs_stay_as_they_were(
    tree: Path,
) -> None:
    (tree / "out" / "sub").symlink_to("../in/sub")
    run = poolimg("max", "in", "-r", "-o", "out", cwd=tree)
    assert run.returncode == 1
    assert sorted(p.name for p in (tree / "in" / "sub").iterdir()) == ["a.jpg"]


def test_a_link_deeper_down_is_refused_too(tree: Path) -> None:
    (tree / "in" / "sub" / "deep").mkdir()
    shutil.move(tree / "in" / "sub" / "a.jpg", tree / "in" / "sub" / "deep" / "a.jpg")
    (tree / "out" / "sub").mkdir()
    (tree / "out" / "sub" / "deep").symlink_to(tree / "elsewhere")
    run = poolimg("max", "in", "-r", "-o", "out", cwd=tree)
    assert run.returncode == 1
    assert "out/sub/deep: is a link to" in run.stderr.decode()
    assert list((tree / "elsewhere").iterdir()) == []


def test_links_that_stay_inside_the_output_folder_and_a_linked_output_folder_are_followed(
    tree: Path,
) -> None:
    (tree / "out" / "real").mkdir()
    (tree / "out" / "sub").symlink_to("real")
    run = poolimg("max", "in", "-r", "-o", "out", cwd=tree)
    assert run.returncode == 0, run.stderr
    assert [p.name for p in (tree / "out" / "real").iterdir()] == ["a_max_k2_s2_p1.jpg"]
    # the output folder itself is the user's to name, link or not
    (tree / "linked").symlink_to(tree / "elsewhere")
    run = poolimg("max", "in", "-r", "-o", "linked", cwd=tree)
    assert run.returncode == 0, run.stderr
    assert (tree / "elsewhere" / "sub" / "a_max_k2_s2_p1.jpg").exists()


# --- special files among the inputs ----------------------------------------------------------


@pytest.fixture
def specials(tmp_path: Path, samples: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(samples / "rocket.jpg", folder / "rocket.jpg")
    os.mkfifo(folder / "pipe.jpg")
    (folder / "zero.png").symlink_to("/dev/zero")
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ["max", "in", "-o", "out", "--json"],
        ["max", "in", "-o", "out", "--dry-run", "--json"],
        ["avg", "in", "--global", "--json"],
    ],
)
def test_pipes_and_devices_in_a_folder_are_skipped_with_a_note(
    specials: Path, args: list[str]
) -> None:
    run = poolimg(*args, cwd=specials, timeout=30)
    assert run.returncode == 0, run.stderr
    lines = {Path(line["input"]).name: line for line in json_lines(run.stdout)}
    assert lines["rocket.jpg"]["status"] == "done"
    assert lines["pipe.jpg"]["status"] == lines["zero.png"]["status"] == "skipped"
    assert lines["pipe.jpg"]["reason"] == "a named pipe, not a regular file, skipped"
    stderr = run.stderr.decode()
    assert "in/pipe.jpg: a named pipe, not a regular file, skipped" in stderr
    assert "in/zero.png: a device, not a regular file, skipped" in stderr
    assert_clean_stderr(run.stderr)


@pytest.mark.parametrize("command", ["max", "plan", "compare"])
def test_a_pipe_or_a_device_named_is_one_error_and_no_hang(specials: Path, command: str) -> None:
    for name, kind in (("pipe.jpg", "a named pipe"), ("zero.png", "a device")):
        run = poolimg(command, f"in/{name}", cwd=specials, timeout=30)
        assert run.returncode == 1
        assert run.stderr.decode().startswith(
            f"poolimg: error: in/{name}: is {kind}, not a regular file"
        )
        # the way out, for a pipe: standard input (a device has none)
        assert ("standard input" in run.stderr.decode()) == (kind == "a named pipe")
        assert_clean_stderr(run.stderr)


# --- standard output closed or full ---------------------------------------------------------


@pytest.fixture
def photos(tmp_path: Path, samples: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for index in range(20):
        shutil.copy(samples / "chelsea.png", folder / f"cat{index:02d}.png")
    return tmp_path


def _left_over(out: Path) -> list[str]:
    return [p.name for p in out.rglob("*") if p.name.startswith(".") or p.suffix == ".part"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_closed_pipe_ends_the_run_quietly_with_sigpipes_status(photos: Path, jobs: str) -> None:
    command = [sys.executable, "-m", "poolcli", "max", "photos", "--json", "-o", "out", "-j", jobs]
    with subprocess.Popen(
        command, cwd=photos, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    ) as run:
        assert run.stdout is not None and run.stderr is not None
        first = run.stdout.readline()
        run.stdout.close()  # as `head -1` does once it has its line
        stderr = run.stderr.read()
        code = run.wait(timeout=60)
    assert json.loads(first)["status"] == "done"
    assert code == 141  # 128 + SIGPIPE, as a shell reports a program a closed pipe stopped
    assert stderr == b""
    for written in (photos / "out").iterdir():
        with Image.open(written) as image:
            image.load()
    assert _left_over(photos / "out") == []


def test_a_full_standard_output_is_one_line_naming_it(photos: Path) -> None:
    with open("/dev/full", "wb") as full:
        run = subprocess.run(
            [sys.executable, "-m", "poolcli", "max", "photos", "--json", "-o", "out", "-j", "2"],
            cwd=photos,
            stdout=full,
            stderr=subprocess.PIPE,
            check=False,
            timeout=60,
        )
    assert run.returncode == 1
    lines = run.stderr.decode().splitlines()
    assert lines == [
        "poolimg: error: <stdout>: cannot be written (no space left on device); stopped, "
        "the files written so far are complete"
    ]
    assert _left_over(photos / "out") == []


# --- a dead parent, a hang-up ----------------------------------------------------------------


def _workers_of(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in children.read_text().split()] if children.exists() else []


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def big_photos(tmp_path: Path, samples: Path) -> Path:
    folder = tmp_path / "big"
    folder.mkdir()
    with Image.open(samples / "astronaut.png") as photo:
        large = photo.resize((3072, 3072))
    large.save(folder / "p00.png", compress_level=1)
    for index in range(1, 40):
        os.link(folder / "p00.png", folder / f"p{index:02d}.png")
    return tmp_path


def _running_with_workers(cwd: Path, stderr: int, *more: str) -> tuple[subprocess.Popen, list[int]]:
    """A batch of two workers started in ``cwd``, once both are at work on their inputs."""
    command = [sys.executable, "-m", "poolcli", "max", "big", "-n", "2", "-j", "2", "-o", "out"]
    command += more
    run = subprocess.Popen(command, cwd=cwd, stderr=stderr)
    deadline = time.monotonic() + 30
    while len(_workers_of(run.pid)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    workers = _workers_of(run.pid)
    assert len(workers) >= 2
    return run, workers


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_workers_end_when_their_parent_is_killed(big_photos: Path) -> None:
    run, workers = _running_with_workers(big_photos, subprocess.DEVNULL)
    run.kill()
    run.wait()
    deadline = time.monotonic() + 10
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(w) for w in workers)
    assert _left_over(big_photos / "out") == []


def test_a_hang_up_stops_the_run_as_sigterm_does(big_photos: Path) -> None:
    run, workers = _running_with_workers(big_photos, subprocess.PIPE)
    run.send_signal(signal.SIGHUP)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 130
    assert stderr.decode().splitlines()[-1].startswith("poolimg: error: interrupted after ")
    assert not any(_alive(w) for w in workers)
    assert _left_over(big_photos / "out") == []


def test_sigterm_stops_the_workers_mid_input_rather_than_waiting_for_them(
    big_photos: Path,
) -> None:
    # Each input takes seconds to encode (zlib at level 9), so a worker left to finish its
    # input would write it well after the signal; stopped, it writes nothing more.
    run, workers = _running_with_workers(
        big_photos, subprocess.PIPE, "--compress-level", "9", "-n", "1"
    )
    signalled = time.time()
    run.send_signal(signal.SIGTERM)
    _, stderr = run.communicate(timeout=60)
    assert run.returncode == 130, stderr
    assert not any(_alive(w) for w in workers)
    late = [p.name for p in (big_photos / "out").rglob("*") if p.stat().st_mtime > signalled + 0.3]
    assert late == []
    assert _left_over(big_photos / "out") == []


# --- EXIF orientations of another type -----------------------------------------------------

# One IFD entry: Orientation (0x0112) as ASCII (type 2), count 1, value "".
ASCII_ORIENTATION = b"Exif\0\0II*\0\x08\0\0\0\x01\0\x12\x01\x02\0\x01\0\0\0\0\0\0\0\0\0\0\0"
# The same as UNDEFINED (type 7), value 6: a quarter turn, if it were a SHORT.
UNDEFINED_ORIENTATION = b"Exif\0\0II*\0\x08\0\0\0\x01\0\x12\x01\x07\0\x01\0\0\0\x06\0\0\0\0\0\0\0"


@pytest.mark.parametrize("ext", ["jpg", "png", "webp"])
@pytest.mark.parametrize("exif", [ASCII_ORIENTATION, UNDEFINED_ORIENTATION])
def test_an_orientation_tag_of_another_type_is_ignored_with_a_note(
    tmp_path: Path, ext: str, exif: bytes
) -> None:
    (tmp_path / "in").mkdir()
    Image.new("RGB", (40, 30), "red").save(tmp_path / "in" / f"o.{ext}", exif=exif)
    for args in (
        ["max", f"in/o.{ext}", "-o", "out", "--json"],
        ["plan", f"in/o.{ext}"],
        ["compare", f"in/o.{ext}", "-o", "grid.png"],
        ["avg", "in", "--dry-run", "--json"],
    ):
        run = poolimg(*args, cwd=tmp_path)
        assert run.returncode == 0, (args, run.stderr)
        assert_clean_stderr(run.stderr)
        if "--json" in args:
            line = json_lines(run.stdout)[0]
            assert line["status"] == "done"
            assert line["outputs"][0]["width"] == 20 and line["outputs"][0]["height"] == 15
    assert "EXIF orientation" in poolimg("max", f"in/o.{ext}", cwd=tmp_path).stderr.decode()


# --- what the header alone decides ---------------------------------------------------------


def animated_webp(size: tuple[int, int], frames: int = 3) -> bytes:
    """A tiny animation of 4x1 frames on a canvas of ``size``: the canvas is what its
    decoder allocates, whatever the frames hold."""
    shots = [Image.new("RGBA", (4, 1), (80 * i, 0, 0, 255)) for i in range(frames)]
    buffer = io.BytesIO()
    shots[0].save(buffer, "WEBP", save_all=True, append_images=shots[1:], lossless=True)
    data = bytearray(buffer.getvalue())
    at = data.find(b"VP8X") + 12  # canvas width - 1, height - 1: 24 bits each
    data[at : at + 6] = (size[0] - 1).to_bytes(3, "little") + (size[1] - 1).to_bytes(3, "little")
    return bytes(data)


def gif_screen(size: tuple[int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (4, 4)).save(buffer, "GIF")
    data = bytearray(buffer.getvalue())
    data[6:10] = size[0].to_bytes(2, "little") + size[1].to_bytes(2, "little")
    return bytes(data)


def test_no_pass_fitting_is_said_from_the_header_before_decoding(tmp_path: Path) -> None:
    # 194 bytes claiming a 16,777,215x1 canvas: decoding it took 55 s and 563 MB only to
    # find that a 2x2 window does not fit a row of one pixel
    (tmp_path / "wide.webp").write_bytes(animated_webp((16_777_215, 1)))
    started = time.monotonic()
    code, peak = peak_memory_mib("max", "wide.webp", cwd=tmp_path)
    assert code == 2
    assert time.monotonic() - started < 10
    assert peak < 150


@pytest.mark.parametrize(
    ("name", "data", "said"),
    [
        ("square.webp", animated_webp((8000, 8000)), "8000x8000 WEBP RGB x 3 frames takes 1344 MB"),
        ("screen.gif", gif_screen((10000, 10000)), "10000x10000 GIF RGB takes 1100 MB"),
    ],
)
def test_a_tiny_file_whose_decoding_would_take_gigabytes_is_refused_from_its_header(
    tmp_path: Path, name: str, data: bytes, said: str
) -> None:
    (tmp_path / name).write_bytes(data)
    code, peak = peak_memory_mib("max", name, cwd=tmp_path)
    assert code == 1
    assert peak < 150
    run = poolimg("max", name, cwd=tmp_path)
    assert said in run.stderr.decode()
    assert "raise --max-pixels if the file is trusted" in run.stderr.decode()
    # the limit follows --max-pixels
    dry = poolimg("max", name, "--dry-run", "--max-pixels", "1000000000", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr


def test_a_pass_too_wide_for_the_output_format_is_refused_before_decoding(tmp_path: Path) -> None:
    Image.new("L", (40000, 2), 7).save(tmp_path / "strip.png")
    run = poolimg("max", "strip.png", "-k", "1x1", "-f", "webp", "-o", "out/", cwd=tmp_path)
    assert run.returncode == 1
    assert "WEBP holds images of at most 16383x16383 pixels" in run.stderr.decode()
    dry = poolimg("max", "strip.png", "-k", "1x1", "-f", "webp", "--dry-run", cwd=tmp_path)
    assert "WEBP holds images of at most 16383x16383 pixels" in dry.stderr.decode()


# --- messages -------------------------------------------------------------------------------


def test_all_passes_that_never_shrink_says_so_and_how(tmp_path: Path, samples: Path) -> None:
    run = poolimg("plan", samples / "rocket.jpg", "-k", "3", "-s", "1", "-p", "same", "-n", "all")
    assert run.returncode == 2
    message = run.stderr.decode()
    assert "keeps it 640x427: give a number of passes (-n 1)" in message
    assert "not even one pass fits" not in message


def test_a_text_chunk_bomb_is_said_in_our_words(tmp_path: Path) -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("comment", "x" * (20 << 20), zip=True)
    Image.new("RGB", (40, 30)).save(tmp_path / "text.png", pnginfo=info)
    run = poolimg("max", "text.png", cwd=tmp_path)
    assert run.returncode == 1
    assert run.stderr.decode() == (
        "poolimg: error: text.png: a text chunk decompresses to more than Pillow reads "
        "(1 MB a chunk, 64 MB in all): a decompression bomb?\n"
    )


# --- a storage service that is down ----------------------------------------------------------


def test_a_storage_service_down_stops_the_run_after_a_few_inputs(photos: Path, monkeypatch) -> None:
    pytest.importorskip("s3fs", reason="the s3 extra (s3fs) is not installed")
    for key, value in (("AWS_ACCESS_KEY_ID", "x"), ("AWS_SECRET_ACCESS_KEY", "y")):
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    # nothing listens on port 9 of loopback: every request is refused at once
    run = poolimg(
        "max", "photos", "-o", "s3://bucket/out/", "-j", "1", "--json",
        "--storage-option", "endpoint_url=http://127.0.0.1:9",
        "--storage-option", 'config_kwargs={"retries": {"max_attempts": 1}}',
        cwd=photos,
    )  # fmt: skip
    assert run.returncode == 1
    lines = json_lines(run.stdout)
    assert [line["status"] for line in lines] == ["failed"] * 3
    assert all("gave up after 4 tries" in line["error"] for line in lines)
    stderr = run.stderr.decode().splitlines()
    assert stderr[-2] == (
        "poolimg: error: the storage service failed 3 inputs in a row after every retry; "
        "it looks down, so the run stopped"
    )
    assert stderr[-1].startswith("0 done, 3 failed, 17 not tried;")


# --- images pooled in bands: every pass's file open at once ------------------------------


@pytest.mark.parametrize("fmt", ["png", "tif"])
def test_a_full_disk_in_a_banded_run_leaves_no_pass_behind(
    small_disk: Path, tmp_path: Path, fmt: str
) -> None:
    pytest.importorskip("pyvips", reason="libvips (poolimg[huge]) is not installed")
    import numpy as np

    source = tmp_path / "noise.png"
    rng = np.random.default_rng(3)
    Image.fromarray(rng.integers(0, 256, (1000, 1000, 3), dtype=np.uint8)).save(source)
    fill(small_disk, 300_000)  # pass 1 needs about 750 KB
    out = small_disk / "out"
    done = poolimg("avg", source, "-n", "3", "--in-bands", "--format", fmt, "-o", out, "--json")
    assert done.returncode == 1, done.stderr
    (line,) = json_lines(done.stdout)
    assert line["status"] == "failed" and line["outputs"] == [], line
    assert "cannot be written (no space left on device)" in line["error"], line["error"]
    assert_clean_stderr(done.stderr)
    assert not out.exists() or list(out.iterdir()) == []  # no pass, no temporary file


def test_ctrl_c_in_a_banded_run_leaves_no_partial_file(tmp_path: Path) -> None:
    pytest.importorskip("pyvips", reason="libvips (poolimg[huge]) is not installed")
    import numpy as np

    source = tmp_path / "big.png"
    rng = np.random.default_rng(4)
    tile = rng.integers(0, 256, (1000, 1000), dtype=np.uint8)
    Image.fromarray(np.tile(tile, (8, 8))).save(source, compress_level=1)  # 64 MP: banded
    out = tmp_path / "out"
    command = [sys.executable, "-m", "poolcli", "avg", str(source), "-n", "3", "-o", str(out)]
    proc = subprocess.Popen(
        [*command, "--max-pixels", "0", "--compress-level", "9", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    wait_for_output(out)  # the passes' temporary files appear as the bands are written
    time.sleep(0.3)
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert b"Traceback" not in stderr
    assert json.loads(stdout)["status"] == "interrupted"
    assert list(out.iterdir()) == []  # every pass's file went with the run: none was complete
