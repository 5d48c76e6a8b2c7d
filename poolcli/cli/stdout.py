"""Standard output, where a run's data goes (JSON lines, plan's lines, pictures): one guard
for a reader that closed it (``| head -1``) or a write that fails (``> /dev/full``). Stdlib
only; :mod:`poolcli.cli.terminal` writes through it and ``cli.main`` ends the run."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from poolcli.errors import StdoutClosed

_closed = False  # once it fails, the rest of a run's output is dropped, not retried


def closed() -> bool:
    """Whether standard output has failed in this process (the run is stopping)."""
    return _closed


@contextlib.contextmanager
def guard() -> Iterator[None]:
    """Write to standard output inside; a closed pipe or a failing write raises
    :class:`~poolcli.errors.StdoutClosed` once, and later writes are dropped (the run is
    stopping: its workers hand back results as they stop)."""
    global _closed  # noqa: PLW0603 (one standard output a process)
    try:
        yield
        sys.stdout.flush()
    except OSError as exc:
        if _closed:
            return
        _closed = True
        if isinstance(exc, BrokenPipeError):
            raise StdoutClosed("broken pipe", broken=True) from None
        raise StdoutClosed((exc.strerror or str(exc)).lower(), broken=False) from None


def write(text: str) -> None:
    """Write ``text`` to standard output through :func:`guard`."""
    with guard():
        sys.stdout.write(text)
