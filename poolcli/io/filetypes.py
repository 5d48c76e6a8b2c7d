"""What a file that poolimg will not read is: a named pipe would block a run, a device never
end. Only regular files are read (:mod:`poolcli.batch.inputs` skips the rest of a folder,
:mod:`poolcli.io.reading` refuses one named). Stdlib only."""

from __future__ import annotations

import stat


def not_regular(mode: int) -> str:
    """What a file that is not a regular file is, from its ``st_mode``.

    >>> not_regular(stat.S_IFIFO | 0o644)
    'a named pipe, not a regular file'
    """
    kinds = {
        stat.S_IFIFO: "a named pipe",
        stat.S_IFCHR: "a device",
        stat.S_IFBLK: "a block device",
        stat.S_IFSOCK: "a socket",
    }
    return f"{kinds.get(stat.S_IFMT(mode), 'a special file')}, not a regular file"
