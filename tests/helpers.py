"""Ways to run poolimg in tests, and checks every run of it must pass."""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
from PIL import Image
from typer.testing import CliRunner

from poolcli.cli.app import app, fill_optional_values

runner = CliRunner()


def run(*args: object, stdin: bytes | None = None):
    """Run poolimg in process, with the argument handling of the real entry point."""
    argv = fill_optional_values([str(a) for a in args])
    return runner.invoke(app, argv, input=stdin, catch_exceptions=False)


def poolimg(
    *args: object,
    cwd: Path | None = None,
    stdin: bytes | None = None,
    timeout=120,
    env: dict[str, str] | None = None,
):
    """Run poolimg as a user does, in its own process through the real entry point
    (``env``: variables to set beside the test's own)."""
    return subprocess.run(
        [sys.executable, "-m", "poolcli", *map(str, args)],
        check=False,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        timeout=timeout,
        env={**os.environ, "PYTHONWARNINGS": "default", **(env or {})},
    )


# What poolimg's own messages look like; anything else on stderr is a leak.
_OWN_LINE = re.compile(
    r"poolimg: (error|warning): |wrote |would write |dry run: |\d+ done|pass |  "
)


def wait_for_output(folder: Path, seconds: float = 60, *, hidden: bool = True) -> None:
    """Wait until a run under way has put a file in ``folder`` (temporary ones too, unless
    ``hidden`` is False). The folder may come and go before that: the run checks that it can
    create it by creating and removing it, so a poll can see it exist and then be gone.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if any(hidden or not p.name.startswith(".") for p in folder.iterdir()):
                return
        except FileNotFoundError:
            pass
        time.sleep(0.02)


def json_lines(stdout: bytes) -> list[dict]:
    """The JSON lines of a run's standard output, one dict an input."""
    return [json.loads(line) for line in stdout.decode().splitlines()]


def assert_clean_stderr(stderr: bytes | str) -> None:
    """No traceback, no Python path, and every line one of poolimg's own."""
    text = stderr.decode(errors="replace") if isinstance(stderr, bytes) else stderr
    assert "Traceback" not in text, text
    assert ".py" not in text and "site-packages" not in text, text
    for line in text.splitlines():
        assert _OWN_LINE.match(line), f"not poolimg's own line: {line!r}"


def pixels(path: Path) -> np.ndarray:
    with Image.open(path) as image:
        return np.asarray(image)


def bomb_png(path: Path, width: int, height: int) -> Path:
    """A black grey PNG of ``width`` x ``height``: zeros compress 1000 to 1, so a file of
    about a megabyte decodes to ``width * height`` bytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    packer = zlib.compressobj(9)
    row = b"\0" * (width + 1)  # filter byte, then the row
    rows = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )
    return path


def peak_memory_mib(*args: object, cwd: Path | None = None) -> tuple[int, float]:
    """Run poolimg in a fresh interpreter; its exit code and peak resident memory in MiB
    (VmHWM: ``ru_maxrss`` would count the test process it was forked from)."""
    code = (
        "import sys\n"
        "from poolcli.cli.app import main\n"
        f"sys.argv = ['poolimg', *{[str(a) for a in args]!r}]\n"
        "try:\n    main()\n"
        "except SystemExit as stop:\n"
        "    status = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
        "    sys.stdout.write(f'{stop.code} {status}')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    exit_code, kib = done.stdout.split()[-2:]
    return int(exit_code), int(kib) / 1024


# Keras runs in a process of its own: JAX starts threads, and a test process that imported it
# would fork every later batch's workers from a multithreaded process.
_KERAS_START = """
import json, os, sys
os.environ.setdefault("KERAS_BACKEND", "jax")
import numpy as np
try:
    import keras
except ImportError:
    sys.exit(3)
arrays = np.load(sys.argv[1])
out = {}
"""


def in_keras(body: str, arrays: dict[str, np.ndarray], folder: Path, *args: str) -> dict:
    """Run ``body`` with Keras 3 on JAX in a process of its own: it finds ``keras``, ``np``,
    ``arrays`` (these, by name), ``args`` as ``sys.argv[3:]``, and fills the dict ``out``,
    which comes back. Skips the test where Keras is not installed, and says so."""
    import pytest

    np.savez(folder / "keras-in.npz", **arrays)
    script = _KERAS_START + body + "\nnp.savez(sys.argv[2], **out)\n"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            str(folder / "keras-in.npz"),
            str(folder / "keras-out.npz"),
            *args,
        ],
        capture_output=True,
        check=False,
        timeout=600,
    )
    if done.returncode == 3:
        pytest.skip("Keras 3 is not installed (pip install keras jax[cpu]): its checks skip")
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return dict(np.load(folder / "keras-out.npz"))
