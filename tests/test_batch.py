"""Batches as shell scripts run them: folders, duplicates, bad files, workers, Ctrl-C."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import poolcli
from poolcli import pool
from poolcli.batch.inputs import expand_inputs
from poolcli.batch.naming import find_collisions
from poolcli.batch.run_options import RunOptions
from poolcli.batch.workers import run_batch

from .helpers import run, wait_for_output


@pytest.fixture
def tree(tmp_path: Path, samples: Path, monkeypatch) -> Path:
    """photos/ with nested folders, two photo.jpg, a corrupt JPEG and a text file."""
    root = tmp_path / "photos"
    (root / "2024" / "june").mkdir(parents=True)
    (root / "2025").mkdir()
    shutil.copy(samples / "rocket.jpg", root / "photo.jpg")
    shutil.copy(samples / "chelsea.png", root / "2024" / "photo.jpg.png")
    shutil.copy(samples / "rocket.jpg", root / "2025" / "photo.jpg")
    shutil.copy(samples / "camera.png", root / "2024" / "june" / "camera.png")
    (root / "2025" / "broken.jpg").write_bytes((samples / "rocket.jpg").read_bytes()[:3000])
    (root / "2024" / "readme.txt").write_text("holiday photos")
    monkeypatch.chdir(tmp_path)
    return root


def test_folders_are_mirrored_and_bad_files_reported(tree: Path) -> None:
    result = run("max", "photos", "-r", "-o", "small", "--json", "-j", "2")
    assert result.exit_code == 1
    by_input = {r["input"]: r for r in map(json.loads, result.stdout.splitlines())}
    assert {k: v["status"] for k, v in by_input.items()} == {
        "photos/photo.jpg": "done",
        "photos/2024/photo.jpg.png": "done",
        "photos/2024/june/camera.png": "done",
        "photos/2025/photo.jpg": "done",
        "photos/2025/broken.jpg": "failed",
        "photos/2024/readme.txt": "skipped",  # every file found has its line
    }
    assert by_input["photos/2024/readme.txt"]["reason"] == "not an image file name"
    assert by_input["photos/2025/broken.jpg"]["error"].startswith(
        "photos/2025/broken.jpg: truncated or corrupt image"
    )
    written = sorted(str(p.relative_to("small")) for p in Path("small").rglob("*") if p.is_file())
    assert written == [
        "2024/june/camera_max_k2_s2_p1.png",
        "2024/photo.jpg_max_k2_s2_p1.png",
        "2025/photo_max_k2_s2_p1.jpg",
        "photo_max_k2_s2_p1.jpg",
    ]
    with (
        Image.open("small/2024/june/camera_max_k2_s2_p1.png") as out,
        Image.open(tree / "2024/june/camera.png") as source,
    ):
        np.testing.assert_array_equal(np.asarray(out), pool(np.asarray(source), "max"))
    summary = result.stderr.splitlines()[-1]
    assert summary.startswith("4 done, 1 failed, 1 skipped; wrote 4 images to small/ in ")


def test_without_r_only_the_top_folder(tree: Path) -> None:
    result = run("avg", "photos", "--json", "-q")
    assert result.exit_code == 0
    assert [json.loads(line)["input"] for line in result.stdout.splitlines()] == [
        "photos/photo.jpg"
    ]
    assert result.stderr == ""


def test_verbose_lists_skipped_files(tree: Path) -> None:
    result = run("avg", "photos", "-r", "-v", "-j", "1")
    assert "skipped photos/2024/readme.txt: not an image file name" in result.stderr


def test_outputs_are_never_taken_as_inputs(tree: Path) -> None:
    os.chdir(tree)
    first = run("max", ".", "-r", "--json")
    second = run("max", ".", "-r", "--json")
    assert [len(images(first.stdout)), len(images(second.stdout))] == [5, 5]
    assert not list(Path("poolimg-out").rglob("poolimg-out"))
    assert not any("_p1_max" in str(p) for p in Path("poolimg-out").rglob("*"))


def test_two_inputs_writing_one_file_are_refused_before_anything_is_written(tree: Path) -> None:
    result = run("max", "photos/photo.jpg", "photos/2025/photo.jpg")
    assert result.exit_code == 2
    assert result.stderr == (
        "poolimg: error: photos/2025/photo.jpg and photos/photo.jpg would both write "
        "poolimg-out/photo_max_k2_s2_p{pass}.jpg\n"
    )
    assert not Path("poolimg-out").exists()


def test_files_from_with_nul_separators(tree: Path) -> None:
    listing = "\0".join(["photos/2024/june/camera.png", "photos/photo.jpg"]) + "\0"
    result = run("min", "--files-from", "-", "-0", "--json", stdin=listing.encode())
    assert result.exit_code == 0, result.stderr
    assert sorted(json.loads(line)["input"] for line in result.stdout.splitlines()) == [
        "photos/2024/june/camera.png",
        "photos/photo.jpg",
    ]


def test_find_print0_pipeline(tree: Path) -> None:
    find = subprocess.run(
        ["find", "photos", "-name", "*.jpg", "-print0"], capture_output=True, check=True
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "poolcli",
            "max",
            "--files-from",
            "-",
            "-0",
            "-j",
            "2",
            "--json",
            "-o",
            "found",
        ],
        input=find.stdout,
        capture_output=True,
        check=False,
    )
    statuses = sorted(json.loads(line)["status"] for line in result.stdout.splitlines())
    assert statuses == ["done", "done", "failed"]
    assert result.returncode == 1


def images(stdout: str) -> list[dict]:
    """The JSON lines of the inputs a run took (not the files found and skipped)."""
    lines = [json.loads(line) for line in stdout.splitlines()]
    return [line for line in lines if line["status"] != "skipped"]


def test_an_output_folder_that_cannot_be_made_is_said_once_before_any_input(tree: Path) -> None:
    result = run(
        "max",
        "photos/photo.jpg",
        "photos/2024/june/camera.png",
        "-o",
        "/proc/poolimg/out",
        "-j",
        "1",
    )
    assert result.exit_code == 2
    assert result.stderr == (
        "poolimg: error: /proc/poolimg/out: cannot create the output folder "
        "(no such file or directory)\n"
    )


def test_an_output_folder_under_a_file_is_said_once(tree: Path) -> None:
    Path("taken").write_text("a file, not a folder")
    result = run("max", "photos/photo.jpg", "photos/2025/photo.jpg", "-o", "taken/sub/")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"poolimg: error: taken/sub: cannot create the output folder ({Path('taken').resolve()} "
        "is not a folder)"
    ]


def test_library_use_without_the_cli(tree: Path) -> None:
    seen = []
    report = poolcli.process(
        ["photos"],
        poolcli.PoolSpec("avg", 3, 2, "same"),
        output="lib",
        recursive=True,
        jobs=1,
        on_result=seen.append,
    )
    assert (report.done, report.failed, report.written, report.exit_code) == (4, 1, 4, 1)
    assert len(seen) == 5
    assert Path("lib/2024/june/camera_avg_k3_s2_same_p1.png").is_file()


def test_collisions_found_from_names_alone() -> None:
    inputs = expand_inputs(["a/x.jpg", "b/x.jpg", "c/y.jpg"])
    clashes = find_collisions(inputs.sources, RunOptions(poolcli.PoolSpec("max")))
    assert clashes == ["b/x.jpg and a/x.jpg would both write poolimg-out/x_max_k2_s2_p{pass}.jpg"]


def test_symlink_loops_are_not_followed(tmp_path: Path, samples: Path) -> None:
    (tmp_path / "a").mkdir()
    shutil.copy(samples / "camera.png", tmp_path / "a" / "c.png")
    (tmp_path / "a" / "loop").symlink_to(tmp_path / "a")
    inputs = expand_inputs([str(tmp_path / "a")], recursive=True)
    assert [s.rel.as_posix() for s in inputs.sources] == ["c.png"]
    assert any("symlink loop" in note for note in inputs.warnings)


def test_report_exit_codes() -> None:
    run = RunOptions(poolcli.PoolSpec("max"))
    assert run_batch([], run).exit_code == 0


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGINT to the group (Ctrl-C)", "SIGTERM to the parent"])
def test_stopping_a_parallel_batch_leaves_no_partial_file(tmp_path: Path, how: str) -> None:
    rng = np.random.default_rng(5)
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(6):
        Image.fromarray(rng.integers(0, 256, (1500, 2000, 3), dtype=np.uint8)).save(
            folder / f"n{i}.png", compress_level=0
        )
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "poolcli",
            "avg",
            str(folder),
            "-k",
            "1",
            "-n",
            "4",
            "-j",
            "2",
            "--compress-level",
            "9",
            "-o",
            str(out),
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    wait_for_output(out)
    time.sleep(0.3)  # well inside the encoding of the next images
    if how.startswith("SIGINT"):
        os.killpg(proc.pid, signal.SIGINT)
    else:
        proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert b"Traceback" not in stderr
    assert b" of 6 inputs; complete files kept, no partial file left" in stderr
    # every complete file on disk is reported, including the passes of interrupted inputs
    listed = {o["path"] for line in stdout.splitlines() for o in json.loads(line)["outputs"]}
    assert {str(p) for p in out.iterdir()} == listed
    leftovers = [
        p.name for p in out.iterdir() if p.name.endswith(".part") or p.name.startswith(".")
    ]
    assert leftovers == []
    for written in out.iterdir():
        with Image.open(written) as image:
            image.load()  # every file there is whole


def test_a_worker_that_dies_fails_its_input_and_the_run_goes_on(
    tmp_path: Path, samples: Path, monkeypatch
) -> None:
    # As if a decoder crashed (SIGSEGV) on one file: the pool breaks, every input it held is
    # run again alone, and only the one that kills its worker again fails.
    from poolcli.batch import worker_process

    real = worker_process.run_one

    def crash_on_some(source, run, threads=None):
        if "crash" in source.path:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(source, run, threads)

    monkeypatch.setattr(worker_process, "run_one", crash_on_some)
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a.png", "b.png", "crash.png", "c.png", "d.png", "e.png"):
        shutil.copy(samples / "camera.png", folder / name)
    inputs = expand_inputs([str(folder)])
    report = run_batch(
        inputs.sources, RunOptions(poolcli.PoolSpec(), output=str(tmp_path / "out")), jobs=2
    )
    status = {Path(r.input).name: r.status for r in report.results}
    assert status == {
        "a.png": "done",
        "b.png": "done",
        "crash.png": "failed",
        "c.png": "done",
        "d.png": "done",
        "e.png": "done",
    }
    (failed,) = [r for r in report.results if r.status == "failed"]
    assert "the worker decoding it died" in failed.error
    assert len(list((tmp_path / "out").iterdir())) == 5 and report.exit_code == 1


def test_a_stop_between_rename_and_listing_still_lists_the_file(tmp_path: Path) -> None:
    # Ctrl-C can land after os.replace put a pass in place and before the result listed it
    # (seen once in CI): the interrupted result must list what is on disk, and only that.
    from poolcli.batch.report import Output, Result
    from poolcli.batch.writes import inode_at, settle_writing

    path = tmp_path / "a.png"
    path.write_bytes(b"old")
    renamed, untouched = Result("x", "interrupted"), Result("y", "interrupted")
    renamed.writing = (Output(str(path), 2, 2, 1, 0), inode_at(str(path)))
    untouched.writing = (Output(str(path), 2, 2, 1, 0), inode_at(str(path)))
    (tmp_path / "new").write_bytes(b"12345")
    os.replace(tmp_path / "new", path)  # what save() does last
    settle_writing(renamed)
    assert [(o.path, o.bytes) for o in renamed.outputs] == [(str(path), 5)]
    untouched.writing = (Output(str(path), 2, 2, 1, 0), inode_at(str(path)))  # no rename after
    settle_writing(untouched)
    assert untouched.outputs == [] and untouched.writing is None
