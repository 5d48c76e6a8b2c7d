"""The ``poolimg`` command: Typer declarations, help, parsing of words, and the terminal.

``app`` holds the commands and the entry point; ``tools`` the commands beside pooling
(``compare``, ``plan``, ``show``, ``completion``); ``params`` and ``batch_params`` the shared
option declarations; ``help_texts`` and ``help_layout`` what ``--help`` says and how;
``parsing`` turns words into values; ``terminal`` and ``stdout`` are all a person sees;
``reference`` makes docs/usage.md's option table. The top layer: it may import everything and
nothing imports it.
"""

from __future__ import annotations


def main() -> None:
    """Run the ``poolimg`` command (the console script ``poolcli.cli:main``)."""
    from poolcli.cli.app import main as run

    run()
