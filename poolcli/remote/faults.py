"""What a storage request's failure is, and trying it again: every error fsspec and its
drivers raise becomes a one-line :class:`StorageError`, ``transient`` when another try may
work (5xx, throttling, timeouts, dropped connections), and :func:`retrying` retries those with
doubling pauses. A bad image is never a StorageError, and is never retried. Stdlib only.
"""

from __future__ import annotations

import errno
import random
import time
from collections.abc import Callable
from typing import TypeVar

from poolcli.errors import InputError

ATTEMPTS = 4  # tries of one request in all, the first included
BACKOFF = 0.25  # seconds before the second try; doubled each time, with jitter

T = TypeVar("T")


class StorageError(InputError):
    """A storage request failed; ``transient`` if trying again may work, ``exhausted`` if it
    was transient and every try failed (the service may be down)."""

    def __init__(self, message: str, transient: bool = False, exhausted: bool = False) -> None:
        super().__init__(message)
        self.transient, self.exhausted = transient, exhausted


# What the storage libraries' messages say of a failure worth another try (s3fs turns 503 and
# SlowDown into EBUSY; aiohttp's connection errors and gcsfs/adlfs's 5xx say so in words).
_TRANSIENT_WORDS = (
    "Timeout", "ClientConnector", "ServerDisconnected", "ClientPayload", "IncompleteRead",
    "Connection", " 500", " 502", " 503", " 504", "SlowDown", "Throttl", "InternalError",
    "ServiceUnavailable",
)  # fmt: skip


def classify(url: str, exc: BaseException) -> StorageError:
    """A storage exception as a one-line StorageError; transient when a retry may work."""
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, FileNotFoundError):
        return StorageError(f"{url}: no such object")
    if isinstance(exc, PermissionError):
        return StorageError(f"{url}: permission denied ({_reason(exc)})")
    text = f"{type(exc).__name__}: {exc}"
    transient = (
        isinstance(exc, TimeoutError | ConnectionError)
        or (isinstance(exc, OSError) and exc.errno in (errno.EBUSY, errno.EAGAIN, errno.EIO))
        or any(word in text for word in _TRANSIENT_WORDS)
    )
    return StorageError(f"{url}: {_reason(exc)}", transient=transient)


def _reason(exc: BaseException) -> str:
    text = str(exc.strerror if isinstance(exc, OSError) and exc.strerror else exc)
    return " ".join(text.split())[:200] or type(exc).__name__


def retrying(url: str, call: Callable[[], T], *, attempts: int = ATTEMPTS) -> T:
    """``call()``, tried again after a transient StorageError, ``attempts`` times in all.

    Raises
    ------
    StorageError
        What the last try raised; a transient one says how many tries were made.
    """
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except StorageError as exc:
            if not exc.transient:
                raise
            if attempt == attempts:
                message = f"{exc} (gave up after {attempts} tries)"
                raise StorageError(message, exhausted=True) from None
        time.sleep(BACKOFF * 2 ** (attempt - 1) * (0.5 + random.random()))
    raise AssertionError("unreachable")
