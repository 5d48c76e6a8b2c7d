"""The parameters of a pooling command (``poolimg max``, ``avg``, ...), declared once.

:class:`PoolingArgs` is both the commands' signature, which Typer reads (each mode's command
keeps the fields :data:`~poolcli.cli.params.MODE_OPTIONS` gives it), and the typed object the
command hands :func:`~poolcli.cli.parsing.run_options_for`: a renamed option is a type error,
not a ``KeyError`` at run time. A field a mode lacks keeps its default.

Annotations are objects, not strings (no ``from __future__ import annotations``): Typer reads
them at every start.
"""

import inspect
from dataclasses import dataclass, fields
from typing import Annotated

import typer

from poolcli.cli.batch_params import (
    DaskOpt,
    DryRunOpt,
    FilesFromOpt,
    JobsOpt,
    NoClobberOpt,
    NullOpt,
    RecursiveOpt,
    StorageOpt,
)
from poolcli.cli.help_layout import complete_paths
from poolcli.cli.params import (
    MODE_OPTIONS,
    AllowTruncatedOpt,
    BlurOpt,
    CompatOpt,
    CompressLevelOpt,
    CountPadOpt,
    DilationOpt,
    DraftOpt,
    EvalOpt,
    FinalOnlyOpt,
    FlattenOpt,
    FormatOpt,
    GlobalOpt,
    IgnoreOpt,
    InBandsOpt,
    JsonOpt,
    KeepMetadataOpt,
    LinearOpt,
    MaxMemoryOpt,
    MaxPixelsOpt,
    NameOpt,
    OutputOpt,
    PaddingOpt,
    PassesOpt,
    PowerOpt,
    QualityOpt,
    QuietOpt,
    RatioOpt,
    ReflectOpt,
    SeedOpt,
    SizeOpt,
    StretchOpt,
    StrideOpt,
    StripOpt,
    ToOpt,
    VerboseOpt,
)
from poolcli.cli.picture_params import (
    BackgroundOpt,
    CellOpt,
    CropOpt,
    HtmlOpt,
    SheetOnlyOpt,
    SheetOpt,
    SheetScaleOpt,
    ShowOpt,
    UnpoolBackgroundOpt,
    UnpoolOpt,
    WinnersOpt,
)
from poolcli.spec.formats import DEFAULT_SAVE
from poolcli.spec.limits import DEFAULT_MAX_PIXELS
from poolcli.spec.pool_spec import DEFAULT_RATIO
from poolcli.spec.style import DEFAULT_BACKGROUND_TEXT, DEFAULT_CELL


@dataclass(frozen=True)
class PoolingArgs:
    """What the user gave a pooling command, one field a parameter, in the help's order."""

    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            help="Image files, folders, or - for standard input.",
            show_default=False,
            metavar="INPUTS...",
            autocompletion=complete_paths,
        ),
    ] = None
    to: ToOpt = None
    size: SizeOpt = "2"
    stride: StrideOpt = None
    passes: PassesOpt = "1"
    padding: PaddingOpt = "valid"
    final_only: FinalOnlyOpt = False
    output: OutputOpt = None
    name: NameOpt = None
    global_: GlobalOpt = False
    format_: FormatOpt = None
    quality: QualityOpt = DEFAULT_SAVE.quality
    compress_level: CompressLevelOpt = DEFAULT_SAVE.compress_level
    flatten: FlattenOpt = "white"
    strip: StripOpt = False
    keep_metadata: KeepMetadataOpt = None
    sheet: SheetOpt = None
    sheet_only: SheetOnlyOpt = False
    show: ShowOpt = None
    sheet_scale: SheetScaleOpt = "fit"
    cell: CellOpt = DEFAULT_CELL
    crop: CropOpt = "auto"
    html: HtmlOpt = None
    background: BackgroundOpt = DEFAULT_BACKGROUND_TEXT
    linear: LinearOpt = False
    stretch: StretchOpt = False
    dilation: DilationOpt = "1"
    count_pad: CountPadOpt = None
    compat: CompatOpt = None
    power: PowerOpt = None
    seed: SeedOpt = None
    ratio: RatioOpt = DEFAULT_RATIO
    ignore: IgnoreOpt = None
    blur: BlurOpt = None
    reflect: ReflectOpt = False
    evaluate: EvalOpt = False
    unpool: UnpoolOpt = False
    unpool_background: UnpoolBackgroundOpt = "dark"
    winners: WinnersOpt = False
    no_clobber: NoClobberOpt = False
    max_pixels: MaxPixelsOpt = DEFAULT_MAX_PIXELS
    max_memory: MaxMemoryOpt = None
    in_bands: InBandsOpt = False
    draft: DraftOpt = False
    allow_truncated: AllowTruncatedOpt = False
    recursive: RecursiveOpt = False
    dry_run: DryRunOpt = False
    jobs: JobsOpt = None
    dask: DaskOpt = None
    storage_option: StorageOpt = None
    files_from: FilesFromOpt = None
    null: NullOpt = False
    json_: JsonOpt = False
    quiet: QuietOpt = False
    verbose: VerboseOpt = False


def signature_for(mode: str) -> inspect.Signature:
    """The signature Typer reads for ``poolimg MODE``: the fields that mode takes."""
    return inspect.Signature(
        [
            inspect.Parameter(
                f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=f.type
            )
            for f in fields(PoolingArgs)
            if mode in MODE_OPTIONS.get(f.name, {mode})
        ]
    )
