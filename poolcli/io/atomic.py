"""Writing a file so that nothing half-written is ever seen: stdlib only.

Every output is written to a temporary file beside its target and moved into place with
``os.replace``; the temporary file goes on any failure, Ctrl-C included. Temporary files that
a run killed outright left behind are swept by the next run into the same folder.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO

from poolcli.errors import OutputError, PoolError


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

# Files are named relative to their open folder (``dir_fd``), so a folder swapped for a link
# between the check and the write cannot move it. Where the system cannot (Windows; os.replace
# takes dir_fd wherever os.rename does), names are joined to the folder instead.
_DIR_FD = {os.open, os.mkdir, os.rename, os.unlink} <= os.supports_dir_fd and (
    os.scandir in os.supports_fd
)
_FOLDER_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def _sweep_stale(folder: Path, fd: int) -> None:
    """Remove the temporary files that runs killed outright (SIGKILL, power loss) left in
    ``folder`` (open as ``fd``): ours by name, older than this run, of a process that no
    longer exists."""
    key = os.path.abspath(folder)
    if key in _swept:
        return
    _swept.add(key)
    with contextlib.suppress(OSError), os.scandir(fd if _DIR_FD else folder) as entries:
        for entry in entries:
            match = _TEMPORARY.fullmatch(entry.name)
            if match is None or _alive(int(match.group(1))):
                continue
            with contextlib.suppress(OSError):
                if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime < _STARTED:
                    os.unlink(_in(folder, entry.name), dir_fd=_at(fd))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True  # not ours to signal, or not a pid: leave its file alone
    return True


class _Buffered(io.BufferedRandom):
    """A file whose descriptor is hidden from encoders.

    Pillow's encoders write to a file's descriptor directly when it has one, and take a short
    ``write(2)`` (a disk filling up mid-call) for success: on a full disk a JPEG was left cut at
    a page boundary and reported written. Without a descriptor they write through Python's
    buffered writer, which retries short writes and raises ``ENOSPC``.
    """

    def fileno(self) -> int:
        raise io.UnsupportedOperation("fileno")


def write_atomically(
    target: Path, write: Callable[[IO[bytes]], None], inside: Path | None = None
) -> None:
    """Write ``target`` through ``write(handle)`` so that it either appears whole or not at all.

    Every byte goes through Python's buffered writer (short writes retried, errors raised) and
    is flushed and closed before the temporary file is renamed over ``target``; any failure
    removes the temporary file and raises :class:`OutputError` naming the file. With
    ``inside`` (the output folder ``target`` lies below), the folders between the two are
    created and opened one at a time without following a link that leads out of ``inside``,
    and the file is created and renamed relative to the folder opened, so no link swapped in
    meanwhile can move the write elsewhere.
    """
    with atomic_file(target, inside) as handle:
        write(handle)


@contextlib.contextmanager
def atomic_file(target: Path, inside: Path | None = None) -> Iterator[IO[bytes]]:
    """The file :func:`write_atomically` writes, as a context: written by the block, renamed
    over ``target`` when the block ends, removed if it raises. Several can be open at once
    (the passes of an image written as its bands are pooled)."""
    folder = target.parent
    fd = _open_folder(folder, inside)
    try:
        _sweep_stale(folder, fd)
        with _written_in(fd, folder, target) as handle:
            yield handle
    finally:
        os.close(fd)


@contextlib.contextmanager
def _written_in(fd: int, folder: Path, target: Path) -> Iterator[IO[bytes]]:
    """``target`` in the open folder ``fd``, written through a temporary file renamed over it."""
    # Named before it exists, so that a Ctrl-C landing anywhere after the file is created
    # (inside mkstemp, it could land before the name was known) still finds it to remove.
    temporary = _in(folder, f".{target.name}.{os.getpid()}.{os.urandom(4).hex()}.part")
    opened = False
    try:
        file = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600, dir_fd=_at(fd))
        opened = True
        # r+ (the file is new and empty): multi-page TIFF reads back what it wrote.
        with _Buffered(io.FileIO(file, "r+b")) as handle:
            yield handle
            os.chmod(file if os.chmod in os.supports_fd else temporary, 0o666 & ~_umask())
        final = _in(folder, target.name)
        os.replace(temporary, final, src_dir_fd=_at(fd), dst_dir_fd=_at(fd))
    except BaseException as exc:
        if not isinstance(exc, FileExistsError):  # never another writer's file of that name
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=_at(fd))
        if isinstance(exc, OSError) and not isinstance(exc, PoolError):  # an input's own too
            what = (
                f"{target}: cannot be written"
                if opened
                else f"{folder}: cannot write to the output folder"
            )
            raise OutputError(f"{what} ({reason(exc)})") from None
        raise


def _at(fd: int) -> int | None:
    """``dir_fd`` for the calls that name a file relative to the open folder ``fd``."""
    return fd if _DIR_FD else None


def _in(folder: Path, name: str) -> str:
    """How a file of ``folder`` is named to those calls."""
    return name if _DIR_FD else os.fspath(folder / name)


def _open_folder(folder: Path, inside: Path | None) -> int:
    """Create ``folder`` as needed and open it; below ``inside``, one part at a time, never
    through a link that resolves outside ``inside``."""
    parts: tuple[str, ...] = ()
    if inside is None or not folder.is_relative_to(inside):
        top = folder
    else:
        top, parts = inside, folder.relative_to(inside).parts
    try:
        top.mkdir(parents=True, exist_ok=True)
        fd = os.open(top, _FOLDER_FLAGS)
    except OSError as exc:
        raise OutputError(f"{top}: cannot create the output folder ({reason(exc)})") from None
    here = top
    for part in parts:
        here = here / part
        fd = _step(fd, here, inside or top)
    return fd


def _step(fd: int, here: Path, inside: Path) -> int:
    """Open the folder ``here``, a part of the open folder ``fd`` (created if missing), and
    close ``fd``. A link is followed only where it resolves inside ``inside``; a folder swapped
    for a link after the check fails to open (``O_NOFOLLOW``), so the check fails closed."""
    name = _in(here.parent, here.name)
    try:
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o777, dir_fd=_at(fd))
        if not os.path.islink(here):
            return os.open(name, _FOLDER_FLAGS | _NOFOLLOW, dir_fd=_at(fd))
        real, root = os.path.realpath(here), os.path.realpath(inside)
        if os.path.commonpath([real, root]) != root:
            raise OutputError(
                f"{here}: is a link to {real}, outside the output folder {inside}; "
                "poolimg writes only inside it"
            )
        return os.open(name, _FOLDER_FLAGS, dir_fd=_at(fd))
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(f"{here}: cannot create the output folder ({reason(exc)})") from None
    finally:
        os.close(fd)


def check_folder(folder: Path) -> None:
    """Refuse, before a run reads any input, an output folder that cannot be written, or
    created where it does not exist yet. Nothing is left behind: the folders that do not
    exist are created and removed again (only trying tells what ``/proc`` or a full table of
    inodes allows root), and ``access(2)`` judges one that exists (a read-only file system
    included).

    Raises
    ------
    OutputError
        Naming the folder and the reason.
    """
    missing = []
    existing = Path(os.path.abspath(folder))
    while not os.path.lexists(existing) and existing != existing.parent:
        missing.append(existing)
        existing = existing.parent
    if not existing.is_dir():
        raise OutputError(f"{folder}: cannot create the output folder ({existing} is not a folder)")
    if missing:
        created: list[Path] = []
        try:
            for part in reversed(missing):
                part.mkdir()
                created.append(part)
        except OSError as exc:
            raise OutputError(
                f"{folder}: cannot create the output folder ({reason(exc)})"
            ) from None
        finally:
            for part in reversed(created):
                with contextlib.suppress(OSError):
                    part.rmdir()
    elif not os.access(existing, os.W_OK | os.X_OK):
        error = errno.EROFS if _read_only(existing) else errno.EACCES
        raise OutputError(
            f"{folder}: cannot write to the output folder ({os.strerror(error).lower()})"
        )


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


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
