"""Listing a URL prefix (the inputs below ``s3://bucket/photos``, the outputs already
written for ``--no-clobber``) a page at a time, never the whole listing held twice.

Stdlib at import; fsspec comes through :func:`poolcli.remote.storage.filesystem`.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import Any

from poolcli.remote.faults import StorageError, classify
from poolcli.remote.storage import SCHEME, ask, filesystem


def is_file(url: str) -> bool:
    """Whether ``url`` names one object (rather than a prefix, a folder)."""
    return bool(ask(url, lambda fs, path: fs.isfile(path)))


def walk(url: str, recursive: bool) -> Iterator[tuple[str, str, int]]:
    """(URL, path below ``url``, bytes) of every object below ``url``, a page at a time, in key
    order: the listing is never held whole (S3 pages of 1,000 keys; other backends a folder
    at a time)."""
    fs, root = filesystem(url)
    root = root.rstrip("/")
    scheme = SCHEME.match(url)
    prefix = f"{scheme.group(1)}://" if scheme else ""
    if getattr(fs, "protocol", ("",))[0] == "s3" and hasattr(fs, "_iterdir"):
        pages = _s3_pages(fs, root, recursive)
    else:
        pages = _walk_pages(fs, root, recursive)
    for page in pages:
        for path, size in page:
            yield prefix + path, path[len(root) + 1 :], size


def _s3_pages(fs: Any, root: str, recursive: bool) -> Iterator[list[tuple[str, int]]]:
    from fsspec.asyn import sync

    bucket, _, key = root.partition("/")
    prefix = f"{key}/" if key else ""
    listing = fs._iterdir(bucket, prefix=prefix, delimiter="" if recursive else "/")

    async def page() -> list[tuple[str, int]]:
        names: list[tuple[str, int]] = []
        async for entry in listing:
            if entry["type"] == "file" and not entry["name"].endswith("/"):
                names.append((entry["name"], int(entry["size"])))
            if len(names) >= 1000:
                break
        return names

    while True:
        try:
            names = sync(fs.loop, page)
        except Exception as exc:
            raise classify(f"s3://{root}", exc) from None
        if not names:
            return
        yield names


def _walk_pages(fs: Any, root: str, recursive: bool) -> Iterator[list[tuple[str, int]]]:
    try:
        for folder, _, files in fs.walk(root, maxdepth=None if recursive else 1, detail=True):
            yield [(posixpath.join(folder, f), int(files[f]["size"])) for f in sorted(files)]
    except Exception as exc:
        raise classify(root, exc) from None


def list_keys(url: str) -> frozenset[str]:
    """Every object URL below ``url`` (the output prefix, listed once for ``--no-clobber``)."""
    try:
        return frozenset(found for found, _, _ in walk(url, recursive=True))
    except StorageError as exc:
        if "no such object" in str(exc):
            return frozenset()
        raise
