"""Output file names: the ``--name`` template, and the rules that keep every name inside the
output folder and within what a file system can hold.

Stdlib only. A template is checked once, before any file is read (:func:`check_template`);
every name it renders is checked again (:func:`checked_name`), since a field such as
``{stem}`` comes from a file name that nobody chose with this run in mind.
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Sequence
from pathlib import Path, PurePath

from poolcli.batch.inputs import Source
from poolcli.batch.run_options import RunOptions
from poolcli.errors import OutputError, ParameterError
from poolcli.remote import storage
from poolcli.spec.formats import COMMON_FORMATS, extension_for
from poolcli.spec.pool_spec import PoolSpec, options_text
from poolcli.spec.sizes import Target
from poolcli.spec.values import size_text

TEMPLATE_FIELDS = (
    "stem",
    "dir",
    "ext",
    "mode",
    "size",
    "stride",
    "padding",
    "options",
    "pass",
    "width",
    "height",
)
# Fields that tell the passes of one input apart.
PASS_FIELDS = frozenset({"pass", "width", "height"})
# The longest file name (one path component) Linux, macOS and Windows file systems take.
NAME_MAX = 255

_SAMPLE = {
    "stem": "photo",
    "dir": "2024/june",
    "ext": "png",
    "mode": "max",
    "size": "2",
    "stride": "2",
    "padding": "valid",
    "options": "_d2",
    "pass": 1,
    "width": 640,
    "height": 480,
}
# Python's format-spec mini-language, with the width and precision captured.
_FORMAT_SPEC = re.compile(r"(?:.?[<>=^])?[-+ ]?z?#?0?(\d*)[,_]?(?:\.(\d+))?[bcdeEfFgGnosxX%]?")


def template_fields(template: str) -> set[str]:
    """The fields a (checked) template uses.

    >>> sorted(template_fields("{stem}-{pass:03}.{ext}"))
    ['ext', 'pass', 'stem']
    """
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def check_template(template: str) -> None:
    """Refuse a ``--name`` template that could not name every output safely.

    Raises
    ------
    ParameterError
        Bad syntax, an unknown field, a conversion or a width over :data:`NAME_MAX`, or a
        name that would leave the output folder (absolute, ``..``) or be empty.

    Examples
    --------
    >>> check_template("{stem}/{mode}-{pass:02}.{ext}")
    >>> check_template("../{stem}.{ext}")
    Traceback (most recent call last):
    ...
    poolcli.errors.ParameterError: --name '../{stem}.{ext}' would write outside the output ...
    """
    what = f"--name {template!r}"
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ParameterError(f"{what}: {exc}") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in TEMPLATE_FIELDS:
            raise ParameterError(
                f"{what}: unknown field {{{name}}}; "
                f"use {' '.join('{' + f + '}' for f in TEMPLATE_FIELDS)}"
            )
        match = _FORMAT_SPEC.fullmatch(spec or "")
        if conversion is not None or match is None:
            raise ParameterError(f"{what}: {{{name}}} takes a plain format such as {{pass:02}}")
        if any(int(number or 0) > NAME_MAX for number in match.groups()):
            raise ParameterError(f"{what}: widths over {NAME_MAX} make names no disk can hold")
    try:
        sample = template.format(**_SAMPLE)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise ParameterError(f"{what}: {exc}") from None
    _check_inside(sample, what, ParameterError)


def checked_name(name: str, source: str) -> str:
    """``name`` (rendered from a template for input ``source``) if it is safe to write.

    Raises
    ------
    OutputError
        If the name would leave the output folder or a part of it is longer than
        :data:`NAME_MAX` bytes.
    """
    _check_inside(name, f"{source}: the output name {name!r}", OutputError)
    for part in PurePath(name).parts:
        size = len(os.fsencode(part))
        if size > NAME_MAX:
            shown = part if len(part) <= 40 else part[:37] + "..."
            raise OutputError(
                f"{source}: the output name {shown!r} is {size} bytes, over the limit of "
                f"{NAME_MAX}; choose a shorter one with --name"
            )
    return name


def _check_inside(name: str, what: str, error: type[ParameterError | OutputError]) -> None:
    path = PurePath(name)
    if "\0" in name or not name.strip() or name.endswith(("/", os.sep)) or not path.parts:
        raise error(f"{what} does not make a file name")
    if path.is_absolute() or path.drive or ".." in path.parts:
        raise error(f"{what} would write outside the output folder; names stay inside it")


def default_template(spec: PoolSpec, tail: str = "_p{pass}.{ext}") -> str:
    """The name outputs get without ``--name``: what made them, then ``tail``. Every option
    that changes the pixels is in it, so runs with different options never share a name.

    >>> default_template(PoolSpec("avg", 3, padding="same"))
    '{stem}_{mode}_k{size}_s{stride}_{padding}_p{pass}.{ext}'
    >>> default_template(PoolSpec("lp", 2, power=3, dilation=2))
    '{stem}_{mode}_k{size}_s{stride}{options}_p{pass}.{ext}'
    >>> default_template(PoolSpec("avg", output_size=(20, 30)))
    '{stem}_{mode}_to{width}x{height}.{ext}'
    """
    options = "{options}" if options_text(spec) else ""
    if spec.output_size is not None:  # one pass to a size: named by the size it gives
        if tail.startswith("_p{pass"):  # the pass itself: photo_avg_to512x341.jpg
            return "{stem}_{mode}_to{width}x{height}" + options + ".{ext}"
        return "{stem}_{mode}_to{to}" + options + tail  # its sheet: photo_avg_to512x_sheet.png
    padding = "" if spec.padding == "valid" else "_{padding}"
    stride = "" if spec.mode == "fractional" else "_s{stride}"  # it has none: windows drift
    return "{stem}_{mode}_k{size}" + stride + padding + options + tail


def output_name(
    source: Source,
    run: RunOptions,
    ext: str,
    index: int | str,
    size: tuple[int | str, int | str],
    template: str | None = None,
    suffix: str = "",
    passes: int = 1,
) -> str:
    """Where pass ``index`` of ``passes`` of ``source`` is written (``size`` is its width,
    height); ``suffix`` goes before the extension (``_unpool``). A path, or a URL below a URL.
    Without ``--name``, pass numbers are zero-padded to the width of the last one, so the
    files sort in pass order (``_p01`` ... ``_p12``)."""
    if run.output_kind == "file" and template is None:
        stem, ext = os.path.splitext(run.output or "")
        return stem + suffix + ext
    spec = run.spec
    stride = spec.size if spec.stride is None else spec.stride
    values = {
        "stem": source.stem,
        "dir": source.folder,
        "to": _target_text(spec),
        "ext": ext,
        "mode": spec.mode,
        "size": size_text(spec.size, short=True),
        "stride": size_text(stride, short=True),
        "padding": str(spec.padding),
        "options": options_text(spec),
        "pass": index,
        "width": size[0],
        "height": size[1],
    }
    digits = len(str(passes))
    chosen = template or run.name or default_template(spec, f"_p{{pass:0{digits}d}}.{{ext}}")
    name = chosen.format(**values)
    if suffix:
        path = PurePath(name)
        name = str(path.with_name(path.stem + suffix + path.suffix))
    checked = checked_name(name, source.shown)
    # a name that holds the input's folder ({dir}) is not put in a copy of that folder too
    mirror = "." if "dir" in template_fields(chosen) else source.rel.parent.as_posix()
    if storage.is_remote(run.output or ""):
        return storage.join(run.output or "", mirror, checked)
    return str(run.folder / mirror / checked)


def sheet_path(source: Source, run: RunOptions) -> str:
    """Where ``--sheet`` without a path puts an input's contact sheet: beside its outputs."""
    if run.sheet not in (None, "auto"):
        return run.sheet or ""
    if run.output_kind == "file":
        return f"{os.path.splitext(run.output or '')[0]}_sheet.png"
    template = default_template(run.spec, tail="_sheet.png")
    return output_name(source, run, "png", 0, (0, 0), template)


def find_collisions(sources: Sequence[Source], run: RunOptions) -> list[str]:
    """Inputs that would write the same output path, as messages; checked before any work."""
    if run.output_kind != "folder":
        return []
    owners: dict[str, str] = {}
    clashes = []
    for source in sources:
        ext = extension(source, run)
        try:  # the passes of two inputs share a name if their first ones do
            first = output_name(source, run, ext, 1, (0, 0))
        except OutputError:
            continue  # a name that cannot be written fails that input on its own
        key = _key(first)
        if key in owners:
            try:
                template = run.name or default_template(run.spec)  # {pass}, unpadded
                size = ("{width}", "{height}")
                pattern = output_name(source, run, ext, "{pass}", size, template)
            except (ValueError, OutputError):  # a format such as {pass:03} wants a number
                pattern = first
            clashes.append(f"{source.path} and {owners[key]} would both write {pattern}")
        else:
            owners[key] = source.path
    return clashes


def _key(path: str) -> str:
    """What two output paths share when they name one file."""
    return path if storage.is_remote(path) else os.path.normcase(os.path.abspath(path))


def _target_text(spec: PoolSpec) -> str:
    """The target of a pass to a size, as a name can hold it (``512x``, ``25pc``)."""
    size = spec.output_size
    if isinstance(size, Target):
        return size.text().replace("%", "pc").replace(">", "").replace("!", "")
    sides = (size, size) if isinstance(size, int) else size or ()
    return "x".join("" if side is None else str(side) for side in sides)


def check_pass_names(run: RunOptions) -> None:
    """Refuse, before any file is read, a template that names every pass of an input alike.

    Raises
    ------
    ParameterError
        If more than one pass of each input is written and the template uses none of
        ``{pass}``, ``{width}``, ``{height}``.
    """
    spec = run.spec
    several = spec.passes == "all" or (isinstance(spec.passes, int) and spec.passes > 1)
    writes_passes = run.write_images and not run.sheet_only and not run.final_only
    if (
        run.name is not None
        and run.output_kind == "folder"
        and several
        and writes_passes
        and not template_fields(run.name) & PASS_FIELDS
    ):
        raise ParameterError(
            f"--name {run.name!r} gives every pass of an input the same name; add {{pass}}, "
            "or write only the last pass with --final-only"
        )


def check_distinct(targets: dict[str, str]) -> None:
    """Refuse two outputs of one input (by what they are) that would write one path."""
    owners: dict[str, str] = {}
    for what, path in targets.items():
        if path == "-":
            continue
        key = _key(path)
        if key in owners:
            raise ParameterError(
                f"{owners[key]} and {what} would both write {path}; add {{pass}} to --name"
            )
        owners[key] = what


def extension(source: Source, run: RunOptions, format_name: str | None = None) -> str:
    if run.save.format:
        return extension_for(run.save.format)
    suffix = Path(source.path).suffix.lower()
    if source.path == "-" or suffix not in COMMON_FORMATS:
        return extension_for(format_name or "PNG")
    return suffix.lstrip(".")
