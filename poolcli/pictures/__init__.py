"""Pictures made of a run: contact sheets, comparison grids and previews in the terminal.

``sheet`` draws and labels; ``grid`` pools one photo several ways for ``compare``; ``api`` gives
Python and notebooks ``contact_sheet()`` and ``comparison()``; ``terminal_graphics`` speaks the
Kitty, iTerm2 and Sixel protocols. May import :mod:`poolcli.io`, :mod:`poolcli.core` and below.
"""
