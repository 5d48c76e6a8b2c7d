"""The bounds poolimg puts on what one file may cost, shared by the library and the CLI.

Stdlib only, so the command line can show them in its help without importing Pillow.
"""

from __future__ import annotations

# More pixels than this in one file is refused as a likely decompression bomb (a small file
# that decodes to gigabytes). 200 MP is a 14000x14000 photo; `--max-pixels` raises it.
DEFAULT_MAX_PIXELS = 200_000_000
# Frames of one file beyond this are refused: decoding each costs time however small it is.
MAX_FRAMES = 10_000
# Bytes decoding a file may take: as many as an RGBA photo at the pixel limit (800 MB at the
# default), so that an animation's frames, 16-bit channels or a decoder's canvases cannot
# multiply what a small file costs past what the pixel limit promises. --max-pixels raises it.
BYTES_PER_LIMIT_PIXEL = 4
# What a decoder holds beside the frames it hands over, in bytes a pixel of the canvas,
# measured with Pillow 13 (peak resident memory of decoding, less the frames): libwebp decodes
# to RGBA and Pillow copies it (15 bytes a pixel in all); GIF frames are paletted canvases
# converted to RGB(A) (5 to 13).
DECODER_BYTES = {"WEBP": 12, "GIF": 8}
