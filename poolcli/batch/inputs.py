"""Finding the inputs of a run: files, folders walked (never round a loop, never into the
output folder), ``--files-from`` lists and standard input. Stdlib only."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from poolcli.io.filetypes import not_regular
from poolcli.remote import listing, storage
from poolcli.spec.formats import IMAGE_SUFFIXES


@dataclass(frozen=True, slots=True)
class Source:
    """One input: ``path`` as given ("-" for standard input), ``rel`` where its outputs go
    below the output folder (its path inside the folder it was found in)."""

    path: str
    rel: Path
    size: int | None = None  # bytes, when a listing said (a URL then opens without a HEAD)
    # its folder as --name's {dir} says it, where rel does not hold it (a file named on its
    # own goes straight into -o: its folder as written)
    named_in: str | None = None

    @property
    def shown(self) -> str:
        """The input as messages name it."""
        return "<stdin>" if self.path == "-" else self.path

    @property
    def folder(self) -> str:
        """The input's folder below where it was found (``{dir}``): as written for a file
        named on its own, ``.`` for none."""
        return self.named_in if self.named_in is not None else self.rel.parent.as_posix()

    @property
    def stem(self) -> str:
        return "stdin" if self.path == "-" else Path(self.path).stem


@dataclass
class Inputs:
    sources: list[Source] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "path: why", for -v
    warnings: list[str] = field(default_factory=list)  # "path: why", always shown
    # files found in a folder and left out, with why: each gets a JSON line and is counted
    skipped_files: list[tuple[str, str]] = field(default_factory=list)

    def skip(self, path: str, why: str, *, warn: bool = False) -> None:
        """Leave out file ``path`` found in a folder; ``warn``: say so without ``-v`` too."""
        self.skipped_files.append((path, why))
        (self.warnings if warn else self.skipped).append(f"{path}: {why}")


def expand_inputs(
    paths: Sequence[str],
    *,
    recursive: bool = False,
    exclude: Path | str | None = None,
    listed: Sequence[str] = (),
) -> Inputs:
    """Turn files, folders and "-" into a list of sources.

    Folders give the image files in them (by extension; ``recursive`` descends, following
    symlinks but never round a loop), their outputs mirroring the tree below the folder;
    explicit files are taken whatever their extension, so a non-image file named on purpose
    fails loudly, and their outputs go straight into the output folder. ``listed`` files (from
    ``--files-from``, typically ``find`` output) keep their path below the output folder
    (:func:`listed_rel`), as ``rsync --files-from`` does. A folder walk leaves out
    ``exclude`` (the output folder), so a second run never takes the first one's outputs as
    inputs; a file named explicitly is an input wherever it is (``poolimg max photo.jpg -o .``
    writes beside it).

    A URL (``s3://bucket/photos``) is one object if it names one, else a prefix listed as a
    folder, a page at a time (:func:`poolcli.remote.storage.walk`); ``exclude`` is then the output
    URL, whose objects are left out. A listed URL's outputs go straight into the output folder.
    """
    inputs = Inputs()
    excluded = _real(exclude) if isinstance(exclude, Path) else None
    for given in listed:
        if storage.is_remote(given):
            inputs.sources.append(Source(given, Path(storage.name_of(given))))
            continue
        inputs.sources.append(Source(given, listed_rel(given)))
    for given in paths:
        if given == "-":
            inputs.sources.append(Source("-", Path("stdin")))
            continue
        if storage.is_remote(given):
            _list_remote(given, recursive, exclude if isinstance(exclude, str) else None, inputs)
            continue
        path = Path(storage.local(given))
        if not path.is_dir():
            folder = listed_rel(given).parent.as_posix()
            inputs.sources.append(Source(given, Path(path.name), named_in=folder))
            continue
        for file in _walk(path, recursive, excluded, inputs):
            inputs.sources.append(Source(str(file), file.relative_to(path)))
    return inputs


def listed_rel(given: str) -> Path:
    """Where a ``--files-from`` path's outputs go below the output folder: the path as
    written, relative to the current folder (as ``rsync --files-from`` takes it); one that is
    absolute, or climbs out with ``..``, from the root of the file system.

    >>> [listed_rel(p).as_posix() for p in ("shots/a.jpg", "./b.jpg", "/data/c.jpg")]
    ['shots/a.jpg', 'b.jpg', 'data/c.jpg']
    """
    path = Path(os.path.normpath(given))
    if path.is_absolute() or path.parts[:1] == ("..",):
        path = Path(os.path.abspath(given))
    return path.relative_to(path.anchor) if path.anchor else path


def _list_remote(url: str, recursive: bool, excluded: str | None, inputs: Inputs) -> None:
    """The image objects below a URL prefix, or the one object it names."""
    if listing.is_file(url):
        inputs.sources.append(Source(url, Path(storage.name_of(url))))
        return
    skip = excluded.rstrip("/") + "/" if excluded is not None else None
    found = False
    for file, key, size in listing.walk(url, recursive):
        found = True
        if skip is not None and file.startswith(skip):
            continue  # the output prefix: a second run never takes the first one's outputs
        rel = remote_rel(key)
        if rel is None:
            why = "a key with an empty, '.' or '..' part would leave the output folder; skipped"
            inputs.skip(file, why, warn=True)
        elif rel.suffix.lower() in IMAGE_SUFFIXES:
            inputs.sources.append(Source(file, rel, size))
        else:
            inputs.skip(file, "not an image file name")
    if not found:  # neither an object nor a prefix: fails as a missing file does
        inputs.sources.append(Source(url, Path(storage.name_of(url))))


def remote_rel(key: str) -> Path | None:
    """An object's key below its listed prefix as the path its outputs mirror; None for a
    key no folder tree holds (object stores allow ``a/../../x``, ``/x``, ``a//x``).

    >>> remote_rel("2024/june/x.jpg"), remote_rel("a/../../x.jpg")
    (PosixPath('2024/june/x.jpg'), None)
    """
    parts = key.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    return Path(*parts)


def read_file_list(text: str, null: bool) -> list[str]:
    """Paths from ``--files-from`` content: one a line, or NUL-separated with ``null``."""
    parts = text.split("\0") if null else text.splitlines()
    return [p for p in parts if p.strip()] if not null else [p for p in parts if p]


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _walk(root: Path, recursive: bool, excluded: Path | None, inputs: Inputs) -> Iterator[Path]:
    seen: set[Path] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        real = _real(folder)
        if real in seen:
            inputs.warnings.append(f"{folder}: a symlink loop, not followed")
            continue
        seen.add(real)
        if excluded is not None and _inside(real, excluded):
            inputs.skipped.append(f"{folder}: the output folder")
            continue
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            inputs.warnings.append(f"{folder}: cannot be listed ({_reason(exc)})")
            continue
        subfolders = []
        for entry in entries:
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()
                if not is_dir and entry.is_symlink():
                    os.stat(path)  # a link to itself, or a loop of links, raises here
            except OSError as exc:
                inputs.skip(str(path), f"{_reason(exc)}, skipped", warn=True)
                continue
            if is_dir:
                if recursive:
                    subfolders.append(path)
                continue
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                inputs.skip(str(path), "not an image file name")
            elif not entry.is_file():  # a named pipe would block the run, a device never end
                inputs.skip(str(path), f"{not_regular(os.stat(path).st_mode)}, skipped", warn=True)
            else:
                yield path
        stack.extend(reversed(subfolders))


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()
