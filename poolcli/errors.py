"""Exception classes of poolcli.

Every error the package raises on purpose is a :class:`PoolError`, so a caller can catch one
class. The subclasses also derive from the builtin a Python user would try first:
:class:`ParameterError` is a :class:`ValueError`, :class:`InputError` and :class:`OutputError`
are :class:`OSError` s. Messages are one line, name the thing at fault and, where possible, say
what would work instead.
"""

from __future__ import annotations


class PoolError(Exception):
    """Base class of every error poolcli raises on purpose."""


class ParameterError(PoolError, ValueError):
    """A pooling parameter or option cannot work (size 0, padding too large, too many passes)."""


class InputError(PoolError, OSError):
    """An input cannot be read: missing, unreadable, not an image, truncated, too large."""


class OutputError(PoolError, OSError):
    """An output cannot be written: folder not creatable, permission denied, would clobber input."""


def missing_extra(what: str, extra: str) -> ParameterError:
    """The usage error of a feature whose optional dependencies are not installed, naming the
    extra that brings them.

    >>> print(missing_extra("--dask needs Dask", "dask"))
    --dask needs Dask: pip install "poolimg[dask]" (from a checkout: pip install ".[dask]")
    """
    return ParameterError(
        f'{what}: pip install "poolimg[{extra}]" (from a checkout: pip install ".[{extra}]")'
    )


class StdoutClosed(Exception):
    """Standard output takes no more: its reader closed it (``broken``, as ``head`` does once
    it has its lines) or writing failed (a full disk). Not an input's failure: the run stops,
    with the files already written complete.
    """

    def __init__(self, reason: str, *, broken: bool) -> None:
        super().__init__(f"<stdout>: cannot be written ({reason})")
        self.broken = broken
