"""Files on object storage and other fsspec URLs (``s3://``, ``gs://``, ``az://``, ``http(s)://``):
reading, complete-object writes, and retries of what is transient (listing a prefix is
:mod:`poolcli.remote.listing`'s).

Stdlib at import; fsspec (``pip install "poolimg[s3]"``) is imported when a URL is first used.
A local path, or a ``file://`` URL, never comes here: :func:`is_remote` is the test.

What this module promises:

- a write stores complete bytes with one request (:func:`put`), so no reader ever sees a
  partial object; ``create_only`` asks the server to refuse an existing key (``If-None-Match``
  on S3), so two runs with ``--no-clobber`` never overwrite each other;
- every object written carries the run's token in its metadata, so a task re-run after its
  worker died can tell its own earlier outputs (:func:`written_by_run`) from older ones;
- transient failures (5xx, throttling, timeouts, dropped connections) are retried with
  backoff :data:`ATTEMPTS` times in all, then reported as :class:`StorageError`; a missing
  object or a refused permission is never retried;
- credentials come from where fsspec's backends find them (environment, config files,
  instance roles): :func:`parse_option` refuses them on the command line.

Process-wide state, set by :func:`configure` at the start of each input's work: the storage
options and run token of the run this process works for (a worker runs one run at a time).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import PurePath
from typing import IO, Any, TypeVar

from poolcli.errors import ParameterError, PoolError, missing_extra
from poolcli.remote.faults import StorageError, classify, retrying

SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")

BLOCK = 4 << 20  # bytes a read fetches ahead: a header check reads one block at most
METADATA_KEY = "poolimg-run"

T = TypeVar("T")


class Exists(PoolError, FileExistsError):
    """A create-only write found the key taken."""


def is_remote(path: str | PurePath) -> bool:
    """Whether ``path`` is a URL that fsspec opens (``file://`` is local).

    >>> is_remote("s3://bucket/photos"), is_remote("photos/a.jpg"), is_remote("file:///tmp")
    (True, False, False)
    """
    found = SCHEME.match(str(path))
    return found is not None and found.group(1).lower() != "file"


def local(path: str) -> str:
    """A ``file://`` URL as a plain path; anything else as it is.

    >>> local("file:///tmp/photos"), local("photos")
    ('/tmp/photos', 'photos')
    """
    return path[len("file://") :] if path.lower().startswith("file://") else path


def join(folder: str, *parts: str | PurePath) -> str:
    """``folder`` (a URL) and relative parts, joined with ``/``; empty and ``.`` parts vanish.

    >>> join("s3://bucket/small/", "a/b", ".", "x.png")
    's3://bucket/small/a/b/x.png'
    """
    pieces = [str(p) for p in parts if str(p) not in ("", ".")]
    return posixpath.join(folder.rstrip("/"), *pieces) if pieces else folder.rstrip("/")


def name_of(url: str) -> str:
    """The last part of a URL's path: what a file of that name is called."""
    return posixpath.basename(url.rstrip("/"))


# Keys that would put a secret on the command line (and into shell history and logs).
_SECRET = re.compile(r"(secret|token|password|credential|key$|^key|sas|signature)", re.I)


def parse_option(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` of ``--storage-option``; the value may be JSON (numbers, objects).

    Raises
    ------
    ParameterError
        Without ``=``, or for a key that carries a credential.
    """
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise ParameterError(f"--storage-option {text!r}: give KEY=VALUE")
    if _SECRET.search(key):
        raise ParameterError(
            f"--storage-option {key}: credentials are not taken on the command line (they "
            "would be kept in shell history and logs); use the environment (AWS_ACCESS_KEY_ID, "
            "AWS_SECRET_ACCESS_KEY, ...) or the storage's config files"
        )
    return key, value


def _option_value(value: str) -> Any:
    with contextlib.suppress(ValueError):
        return json.loads(value)
    return value


_options: tuple[tuple[str, str], ...] = ()
_token = ""
# By process as well: an fsspec async file system made before a fork is not usable after it.
_filesystems: dict[tuple[int, str, tuple[tuple[str, str], ...]], Any] = {}
_sizes: dict[str, int] = {}  # bytes of each object this process wrote, until asked once


def configure(options: tuple[tuple[str, str], ...] = (), token: str = "") -> None:
    """Set the storage options and run token the following requests use."""
    global _options, _token  # one run at a time per process; see the module's doc
    _options, _token = tuple(options), token


def filesystem(url: str) -> tuple[Any, str]:
    """The fsspec file system of ``url``, and the path inside it."""
    protocol = url.split("://", 1)[0].lower() if "://" in url else "file"
    key = (os.getpid(), protocol, _options)
    fs = _filesystems.get(key)
    if fs is None:
        require([url])
        import fsspec

        try:
            fs = fsspec.filesystem(protocol, **{k: _option_value(v) for k, v in _options})
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"{url}: bad --storage-option ({exc})") from None
        _filesystems[key] = fs
    return fs, fs._strip_protocol(url)


def require(urls: Iterable[str]) -> None:
    """Import the storage library of each URL in ``urls``: done once before worker processes
    fork, each worker does not import it again (s3fs: 0.7 s), and a missing one is refused
    up front, once (their file systems are made per process).

    Raises
    ------
    ParameterError
        A URL's library is not installed: naming the extra (S3) or the package to install.
    """
    for url in urls:
        if not is_remote(url):
            continue
        try:
            import fsspec
            from fsspec.core import split_protocol
        except ImportError:
            raise missing_extra(f"{url}: URLs need fsspec", "s3") from None
        protocol = (split_protocol(url)[0] or "file").lower()
        try:
            fsspec.get_filesystem_class(protocol)
        except ValueError:
            raise ParameterError(f"{url}: {protocol}:// is not a protocol fsspec knows") from None
        except ImportError as exc:
            if protocol in ("s3", "s3a"):
                raise missing_extra(f"{url}: S3 needs s3fs", "s3") from None
            raise ParameterError(f"{url}: {protocol}:// needs a package: {exc}") from None


class _Reader(io.RawIOBase):
    """A remote object read in blocks of :data:`BLOCK` bytes by range requests (one block
    held at a time), whose failures are StorageErrors: Pillow's error handling never takes a
    dropped connection for a corrupt image."""

    def __init__(self, url: str, fs: Any, path: str, size: int, first: bytes) -> None:
        super().__init__()
        self.url, self._fs, self._path, self._size = url, fs, path, size
        self._block, self._start, self._pos = first, 0, 0

    def readinto(self, buffer: Any) -> int:
        if self._pos >= self._size:
            return 0
        offset = self._pos - self._start
        if not 0 <= offset < len(self._block):
            end = min(self._pos + BLOCK, self._size)
            self._block, self._start, offset = (
                _range(self.url, self._fs, self._path, self._pos, end),
                self._pos,
                0,
            )
            if not self._block:
                raise StorageError(f"{self.url}: shorter than its listed size (changed?)")
        count = min(len(buffer), len(self._block) - offset)
        buffer[:count] = self._block[offset : offset + count]
        self._pos += count
        return count

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True


def _range(url: str, fs: Any, path: str, start: int, end: int) -> bytes:
    try:
        return bytes(fs.cat_file(path, start=start, end=end))
    except IsADirectoryError:
        raise StorageError(f"{url}: is a folder, not an image file") from None
    except Exception as exc:
        raise classify(url, exc) from None


def open_input(url: str, size: int | None = None) -> IO[bytes]:
    """Open a remote object for reading, a block at a time: the first block (the header,
    checked before the rest is fetched), then the rest as the decoder asks. An object smaller
    than a block takes one request; ``size`` (from a listing) saves asking a larger one's.
    Callers retry the whole read (:func:`retrying`), since a failure can come mid-decode.

    Raises
    ------
    StorageError
        The object is missing, empty, or cannot be read.
    """
    fs, path = filesystem(url)
    first = _range(url, fs, path, 0, BLOCK if size is None else min(BLOCK, size))
    if size is None:
        size = len(first) if len(first) < BLOCK else int(ask(url, lambda fs, p: fs.size(p)))
    if size == 0:
        raise StorageError(f"{url}: empty file (0 bytes)")
    return io.BufferedReader(_Reader(url, fs, path, size, first), buffer_size=1 << 16)


def put(url: str, data: bytes, *, create_only: bool = False) -> None:
    """Store ``data`` at ``url`` whole, in one request, tagged with this run's token.

    Raises
    ------
    Exists
        ``create_only`` and the key exists.
    StorageError
        The write failed (after retries, if transient).
    """

    def store() -> None:
        fs, path = filesystem(url)
        extra = {"Metadata": {METADATA_KEY: _token}} if _token and fs.protocol[0] == "s3" else {}
        mode = "create" if create_only else "overwrite"
        try:
            fs.pipe_file(path, data, mode=mode, **extra)
        except FileExistsError:
            raise Exists(f"{url}: exists") from None
        except Exception as exc:
            if "pre-condition" in str(exc) or "PreconditionFailed" in str(exc):
                raise Exists(f"{url}: exists") from None
            raise classify(url, exc) from None

    retrying(url, store)
    _sizes[url] = len(data)


def ask(url: str, question: Callable[[Any, str], T]) -> T:
    """``question(fs, path)`` of ``url``'s file system and path; what it raises becomes a
    StorageError, and a transient one is asked again (:func:`retrying`)."""

    def call() -> T:
        fs, path = filesystem(url)
        try:
            return question(fs, path)
        except Exception as exc:
            raise classify(url, exc) from None

    return retrying(url, call)


def written_by_run(url: str) -> bool:
    """Whether the object at ``url`` was written by this run (an earlier try of this task)."""
    if not _token:
        return False

    def metadata(fs: Any, path: str) -> dict[str, Any]:
        try:
            return dict(fs.metadata(path)) if hasattr(fs, "metadata") else {}
        except FileNotFoundError:
            return {}

    return bool(ask(url, metadata).get(METADATA_KEY) == _token)


def size(url: str) -> int:
    """Bytes of the file or object at ``url`` (from the write this process made, if any)."""
    if not is_remote(url):
        return os.stat(local(url)).st_size
    known = _sizes.pop(url, None)
    return known if known is not None else int(ask(url, lambda fs, path: fs.size(path)))


_known: frozenset[str] | None = None  # the output prefix as listed at the start of the run


@contextlib.contextmanager
def listed_outputs(keys: frozenset[str] | None) -> Iterator[None]:
    """Within: :func:`exists` answers from ``keys`` (URLs listed once) instead of asking;
    ``None`` leaves it asking."""
    global _known  # noqa: PLW0603 (scoped: restored on the way out)
    before, _known = _known, keys
    try:
        yield
    finally:
        _known = before


def exists(url: str) -> bool:
    """Whether a file or object is at ``url``: from the run's listing when there is one."""
    if not is_remote(url):
        return os.path.exists(local(url))
    if _known is not None:
        return url in _known
    return bool(ask(url, lambda fs, path: fs.exists(path)))
