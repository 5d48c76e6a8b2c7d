"""``python -m poolcli`` runs the ``poolimg`` command."""

from .cli import main

main()
