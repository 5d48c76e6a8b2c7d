"""Writing a file so that nothing half-written is ever seen: stdlib only.

Every output is written to a temporary file beside its target and moved into place with
``os.replace``; the temporary file goes on any failure, Ctrl-C included. Temporary files that
a run killed outright left behind are swept by the next run into the same folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO

from .errors import OutputError


def _umask() -> int:
    """The process's umask, read without changing it where Linux shows it (setting it to read
    it, the only portable way, races with any thread creating a file meanwhile)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


# When this run started; temporary files of dead runs older than this are removed.
_STARTED = time.time()


# A temporary file: `.NAME.PID.RANDOM.part`, written beside its target then renamed over it.
_TEMPORARY = re.compile(r"\..+\.(\d+)\.[a-z0-9_]{8}\.part")


_swept: set[str] = set()


def _sweep_stale(folder: Path) -> None:
    """Remove the temporary files that runs killed outright (SIGKILL, power loss) left in
    ``folder``: ours by name, older than this run, of a process that no longer exists."""
    key = os.path.abspath(folder)
    if key in _swept:
        return
    _swept.add(key)
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            match = _TEMPORARY.fullmatch(entry.name)
            if match is None or _alive(int(match.group(1))):
                continue
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < _STARTED:
                    os.unlink(entry.path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True  # not ours to signal, or not a pid: leave its file alone
    return True


def write_atomically(target: Path, write: Callable[[IO[bytes]], None]) -> None:
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create the output folder ({reason(exc)})") from None
    _sweep_stale(folder)
    # Named before it exists, so that a Ctrl-C landing anywhere after the file is created
    # (inside mkstemp, it could land before the name was known) still finds it to remove.
    temporary = folder / f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.part"
    opened = False
    try:
        fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        opened = True
        with os.fdopen(fd, "w+b") as handle:  # w+: multi-page TIFF reads back as it writes
            write(handle)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException as exc:
        if not isinstance(exc, FileExistsError):  # never another writer's file of that name
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            what = (
                f"{target}: cannot be written"
                if opened
                else f"{folder}: cannot write to the output folder"
            )
            raise OutputError(f"{what} ({reason(exc)})") from None
        raise


def refuse_inputs(target: Path, protect: Iterable[str | os.PathLike[str]]) -> None:
    if not target.exists():
        return
    for source in protect:
        same = False
        if str(source) != "-":
            with contextlib.suppress(OSError):
                same = os.path.samefile(source, target)
        if same:
            raise OutputError(f"{target}: is an input of this run; refusing to overwrite it")


def reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()
