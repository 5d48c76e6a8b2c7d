"""How each command's help is laid out (options in panels by purpose, a usage line without
Typer's braces, no path broken at a hyphen), and shell completion.

Plain click formatting: Typer's own panels need its Rich formatting, which would cost every
``--help`` Rich's import.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from typing import Any

import typer

from poolcli.cli.help_texts import PANEL_OF, PANELS

# The widest first column (the option and its metavar) before help moves to its own line.
_FIRST_COLUMN = 30


class PanelledCommand(typer.core.TyperCommand):
    """A command whose help lists its options in panels (window, passes, output, sheets,
    batch, limits: :data:`poolcli.cli.help_texts.PANELS`) rather than one list of 40."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        # Typer writes an argument's own metavar in braces ("poolimg plan [OPTIONS] {INPUT}"),
        # which reads as a set of choices.
        return [
            piece.replace("{", "").replace("}", "") for piece in super().collect_usage_pieces(ctx)
        ]

    def format_options(self, ctx: Any, formatter: Any) -> None:  # click.Context, HelpFormatter
        sections: dict[str, list[tuple[str, str]]] = {"Arguments": []}
        sections.update((panel, []) for panel in PANELS)
        sections["Options"] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            default = "Arguments" if param.param_type_name == "argument" else "Options"
            sections[PANEL_OF.get(param.name or "", default)].append(record)
        rows = [row for listed in sections.values() for row in listed]
        first = min(max((len(term) for term, _ in rows), default=0), _FIRST_COLUMN)
        for title, listed in sections.items():
            if listed:
                formatter.write_paragraph()
                formatter.write_text(f"{title}:")
                for term, help_text in listed:
                    formatter.write(_row(term, help_text, first, formatter.width))


def _row(term: str, help_text: str, first: int, width: int) -> str:
    """One option of the help: its names in the first column, its help wrapped beside them,
    at spaces only (click's wrapping breaks ``poolimg-out/`` at its hyphen).

    >>> print(_row("-o, --output PATH", "File [default: poolimg-out/x.png].", 20, 44), end="")
      -o, --output PATH     File [default:
                            poolimg-out/x.png].
    """
    indent = 2 + first + 2
    wrapper = textwrap.TextWrapper(
        width=max(width - indent, 20), break_on_hyphens=False, break_long_words=False
    )
    lines = wrapper.wrap(help_text) or [""]
    if len(term) > first:  # a long first column: the help starts on the next line
        head, body = f"  {term}\n", lines
    else:
        head, body = f"  {term.ljust(first)}  {lines[0]}\n", lines[1:]
    return head + "".join(" " * indent + line + "\n" for line in body)


COMPLETE_VAR = "_POOLIMG_COMPLETE"


def completion_script(shell: str) -> str:
    """The script that makes ``shell`` (bash, zsh or fish) complete poolimg: Typer's, which
    runs poolimg with ``_POOLIMG_COMPLETE`` set for each completion."""
    from typer._completion_shared import get_completion_script

    return get_completion_script(prog_name="poolimg", complete_var=COMPLETE_VAR, shell=shell)


def enable_completion() -> None:
    """Answer a shell's completion request, if this run is one. Typer registers its shells'
    completers only for apps with its ``--install-completion`` options, which poolimg leaves
    out (``poolimg completion SHELL`` prints the script instead)."""
    import os

    if COMPLETE_VAR in os.environ:
        from typer._completion_classes import completion_init

        completion_init()


def complete_paths(incomplete: str) -> list[str]:
    """Shell completion of input files and folders (a folder ends with ``/``)."""
    import glob
    import os

    found = sorted(glob.glob(glob.escape(incomplete) + "*"))[:500]
    return [path + os.sep if os.path.isdir(path) else path for path in found]


def complete_words(names: dict[str, Any]) -> None:
    """Shell completion for every ``...Opt`` declaration in ``names`` (a module's globals)
    whose metavar lists its words (``--padding`` completes valid, same, ceil): the help and
    the completion cannot differ."""
    import typing

    for name, value in list(names.items()):
        if not name.endswith("Opt"):
            continue
        for info in typing.get_args(value)[1:]:
            words = _words_of(getattr(info, "metavar", None) or "")
            if words and getattr(info, "autocompletion", None) is None:
                info.autocompletion = _completer(words)


def _words_of(metavar: str) -> list[str]:
    """The literal words of a metavar such as ``valid|same|ceil|N`` (not its placeholders;
    brackets of an optional value dropped).

    >>> _words_of("valid|same|ceil|N"), _words_of("N|WxH"), _words_of("[auto|kitty]")
    (['valid', 'same', 'ceil'], [], ['auto', 'kitty'])
    """
    words = metavar.strip("[]").split("|")
    return [word for word in words if word.islower()] if len(words) > 1 else []


def _completer(words: list[str]) -> Callable[[str], list[str]]:
    def complete(incomplete: str) -> list[str]:  # Typer passes the parameters it names
        return [word for word in words if word.startswith(incomplete)]

    return complete
