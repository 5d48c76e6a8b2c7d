"""The options of running many inputs, declared once for Typer: where the inputs come from
(-r, --files-from, -0), where they run (-j, --dask, --storage-option), and what is left
alone (--no-clobber, --dry-run)."""

from __future__ import annotations

from typing import Annotated

import typer

from poolcli.cli.help_layout import complete_words

NoClobberOpt = Annotated[
    bool, typer.Option("--no-clobber", help="Skip outputs that already exist.")
]


DryRunOpt = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="List the files each input would write (and what would be skipped); read only "
        "headers, write nothing.",
    ),
]


RecursiveOpt = Annotated[bool, typer.Option("--recursive", "-r", help="Descend into subfolders.")]


JobsOpt = Annotated[
    int | None,
    typer.Option(
        "--jobs", "-j", min=1, help="Worker processes [default: one per CPU].", metavar="N"
    ),
]


DaskOpt = Annotated[
    str | None,
    typer.Option(
        "--dask",
        help="Run on a Dask cluster: a scheduler's address (tcp://host:8786), or local[:N] "
        "for N worker processes here.",
        metavar="ADDRESS",
    ),
]


StorageOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--storage-option",
        help="An fsspec option of s3:// (gs://, ...) URLs, such as endpoint_url=URL; repeat "
        "it. Credentials come from the environment, never from here.",
        metavar="KEY=VALUE",
    ),
]


FilesFromOpt = Annotated[
    str | None,
    typer.Option(
        "--files-from",
        help="Read input paths from FILE (- for stdin), one a line; every line is a path "
        "(# is not a comment). Outputs mirror each path below -o as written (absolute ones "
        "from /), as rsync --files-from does; a file named as an argument goes straight into -o.",
        metavar="FILE",
    ),
]


NullOpt = Annotated[
    bool,
    typer.Option("--null", "-0", help="--files-from paths end with NUL (find -print0)."),
]


complete_words(globals())
