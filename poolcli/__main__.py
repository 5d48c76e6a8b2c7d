"""``python -m poolcli`` runs the ``poolimg`` command."""

from poolcli.cli import main

main()
