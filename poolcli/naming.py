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
from pathlib import PurePath

from .errors import OutputError, ParameterError

TEMPLATE_FIELDS = ("stem", "ext", "mode", "size", "stride", "padding", "pass", "width", "height")
# Fields that tell the passes of one input apart.
PASS_FIELDS = frozenset({"pass", "width", "height"})
# The longest file name (one path component) Linux, macOS and Windows file systems take.
NAME_MAX = 255

_SAMPLE = {
    "stem": "photo",
    "ext": "png",
    "mode": "max",
    "size": "2",
    "stride": "2",
    "padding": "valid",
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
    if "\0" in name or not name.strip() or name.endswith(("/", os.sep)):
        raise error(f"{what} does not make a file name")
    if path.is_absolute() or path.drive or ".." in path.parts:
        raise error(f"{what} would write outside the output folder; names stay inside it")
