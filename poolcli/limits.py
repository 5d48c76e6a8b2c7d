"""The bounds poolimg puts on what one file may cost, shared by the library and the CLI.

Stdlib only, so the command line can show them in its help without importing Pillow.
"""

from __future__ import annotations

# More pixels than this in one file is refused as a likely decompression bomb (a small file
# that decodes to gigabytes). 200 MP is a 14000x14000 photo; `--max-pixels` raises it.
DEFAULT_MAX_PIXELS = 200_000_000
# Frames of one file beyond this are refused: decoding each costs time however small it is.
MAX_FRAMES = 10_000
