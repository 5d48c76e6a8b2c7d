"""The option reference of docs/usage.md, made from the commands themselves so the two cannot
differ: ``python -m poolcli.cli.reference`` writes it, and a test fails when they do.

A tool of the command line's layer that nothing imports: it imports :mod:`poolcli.cli.app` (the
commands), which it could not do from a module the commands import.
"""

from __future__ import annotations

from typing import Any

from poolcli.cli.help_texts import PANEL_OF, PANELS

PAGE = "docs/usage.md"  # below the repository's root


def options_markdown() -> str:
    """The table of the pooling commands' options, panel by panel, from the commands
    themselves: each option's names and words, its help, and the modes that have it."""
    import typer.main

    from poolcli.cli.app import app
    from poolcli.spec.pool_spec import MODES

    group: Any = typer.main.get_command(app)
    ctx = group.make_context("poolimg", [], resilient_parsing=True)
    found: dict[str, tuple[str, str, list[str]]] = {}  # name -> (names, help, modes)
    for mode in MODES:
        command = group.get_command(ctx, mode)
        with command.make_context(mode, [], resilient_parsing=True) as sub:
            for param in command.get_params(sub):
                record = param.get_help_record(sub)
                if record is None or param.param_type_name != "option" or param.name is None:
                    continue
                names, help_text = record
                entry = found.setdefault(param.name, (names, help_text, []))
                entry[2].append(mode)
    lines = []
    for panel, names in {**PANELS, "Options": ()}.items():
        rows = [
            (name, *found[name])
            for name in (names or [n for n in found if n not in PANEL_OF])
            if name in found
        ]
        if not rows:
            continue
        lines += ["", f"**{panel}**", "", "| option | meaning | modes |", "|---|---|---|"]
        for _, flags, help_text, modes in rows:
            missing = [m for m in MODES if m not in modes]
            which = ", ".join(modes)
            if len(missing) <= 2:
                which = "all but " + ", ".join(missing) if missing else "all"
            cells = (f"`{flags}`", help_text, which)
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines[1:]) + "\n"


START = "<!-- options: made by `python -m poolcli.cli.reference`; edit the help texts -->\n"
END = "<!-- /options -->\n"


def with_options(page: str) -> str:
    """``page`` with the generated table between its markers."""
    head, _, rest = page.partition(START)
    _, _, tail = rest.partition(END)
    return head + START + options_markdown() + END + tail


if __name__ == "__main__":
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / PAGE  # poolcli/cli/ -> the checkout
    path.write_text(with_options(path.read_text()))
