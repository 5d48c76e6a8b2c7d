"""Pictures drawn in the terminal: the Kitty graphics protocol, iTerm2 inline images, Sixel,
and truecolor or 256-colour half-blocks, which every colour terminal shows.

Encoders only: each turns a Pillow image into the text to write, and :func:`choose` says
which the terminal takes, from the environment first (``TERM``, ``TERM_PROGRAM``,
``KITTY_WINDOW_ID``, ``COLORTERM``, ``TMUX``) and, only for Sixel and only on a terminal, from
its answer to a device-attributes query with a short timeout. :mod:`poolcli.cli.terminal` writes
the result. The half-blocks need nothing but the escape codes of ECMA-48.
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import sys
from collections.abc import Mapping
from typing import Literal

import numpy as np
from PIL import Image

Method = Literal["kitty", "iterm", "sixel", "blocks", "ansi256"]

# Kitty: base64 payloads go in chunks of at most 4096 bytes (the protocol's limit).
_KITTY_CHUNK = 4096


def choose(env: Mapping[str, str] | None = None, *, ask: bool = True) -> Method:
    """The best way this terminal shows pictures.

    >>> choose({"TERM": "xterm-kitty"}), choose({"TERM_PROGRAM": "iTerm.app"})
    ('kitty', 'iterm')
    >>> choose({"COLORTERM": "truecolor"}, ask=False), choose({"TERM": "xterm"}, ask=False)
    ('blocks', 'ansi256')
    """
    env = os.environ if env is None else env
    term, program = env.get("TERM", ""), env.get("TERM_PROGRAM", "")
    truecolor = env.get("COLORTERM", "") in ("truecolor", "24bit")
    if env.get("TMUX"):  # graphics do not pass through tmux unless it is set up to
        return "blocks" if truecolor or "256" not in term else "ansi256"
    if env.get("KITTY_WINDOW_ID") or term == "xterm-kitty" or program == "ghostty":
        return "kitty"
    if program in ("iTerm.app", "WezTerm") or env.get("LC_TERMINAL") == "iTerm2":
        return "iterm"
    if "sixel" in term or term.startswith(("mlterm", "foot")):
        return "sixel"
    if ask and _answers_sixel():
        return "sixel"
    return "blocks" if truecolor else "ansi256"


def _answers_sixel(timeout: float = 0.15) -> bool:
    """Whether the terminal on stdin/stdout lists Sixel (attribute 4) in its primary device
    attributes; False if either is not a terminal or it does not answer in ``timeout``."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return False
    try:
        import select
        import termios
        import tty
    except ImportError:  # not POSIX
        return False
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    answer = b""
    try:
        tty.setcbreak(fd)
        os.write(sys.stdout.fileno(), b"\x1b[c")
        while not answer.endswith(b"c"):
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                break
            answer += os.read(fd, 64)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
    match = re.search(rb"\x1b\[\?([\d;]*)c", answer)
    return match is not None and "4" in match.group(1).decode().split(";")


def fit(image: Image.Image, width: int, height: int | None = None) -> Image.Image:
    """``image`` no wider than ``width`` pixels (and no higher than ``height``): shrunk with
    a box filter, keeping its aspect, where it is larger."""
    image = image.convert("RGB")
    scale = min(width / image.width, (height or image.height) / image.height)
    if scale < 1:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.BOX)
    return image


def screen_height(rows_per_line: int) -> int:
    """How many pixels high a picture may be drawn: a few screens of the terminal's lines
    (``rows_per_line`` pixels a line), so a 24x65535 strip is shrunk rather than drawn as
    half a million lines."""
    return SCREENS * rows_per_line * shutil.get_terminal_size().lines


SCREENS = 2  # screens of the terminal a picture may fill


def _window_pixels() -> tuple[int, int]:
    """The terminal's (width, height) in pixels where it says (``TIOCGWINSZ``), else zeros."""
    try:
        import fcntl
        import struct
        import termios

        packed = fcntl.ioctl(sys.stdout.fileno(), termios.TIOCGWINSZ, b"\0" * 8)
        width, height = struct.unpack("HHHH", packed)[2:]
    except (ImportError, OSError, ValueError):
        return 0, 0
    return width, height


def pixel_width(columns: int) -> int:
    """The terminal's width in pixels where it says (``TIOCGWINSZ``), else 8 a column."""
    return _window_pixels()[0] or 8 * columns


def pixel_height(lines: int) -> int:
    """The terminal's height in pixels where it says (``TIOCGWINSZ``), else
    :data:`CELL_PIXELS` a line."""
    return _window_pixels()[1] or CELL_PIXELS * lines


def cell_pixels(method: str, columns: int, lines: int) -> tuple[float, float]:
    """Pixels a column and a line hold when ``method`` draws: one and two for half-blocks,
    else what the terminal says of its size."""
    if method in ("blocks", "ansi256"):
        return 1.0, 2.0
    return pixel_width(columns) / columns, pixel_height(lines) / lines


def encode(image: Image.Image, method: Method, columns: int) -> str:
    """The text that draws ``image`` with ``method``, ``columns`` cells wide at most."""
    if method in ("kitty", "iterm", "sixel"):
        image = fit(image, pixel_width(columns), screen_height(CELL_PIXELS))
    if method == "kitty":
        return kitty(png_bytes(image), min(columns, image.width))
    if method == "iterm":
        return iterm(png_bytes(image), min(columns, image.width))
    if method == "sixel":
        return sixel(image)
    # a pixel a column, two a line
    return blocks(fit(image, columns, screen_height(2)), truecolor=method == "blocks")


CELL_PIXELS = 16  # pixels a line of text is high, where the terminal does not say


def blocks(image: Image.Image, *, truecolor: bool = True) -> str:
    """Two pixels a cell: ``▀`` in the top pixel's colour on the bottom one's; an odd last
    row has the terminal's own background below.

    >>> blocks(Image.new("RGB", (1, 2), (255, 0, 0)))
    '\\x1b[38;2;255;0;0m\\x1b[48;2;255;0;0m▀\\x1b[0m\\n'
    """
    rgb = np.asarray(image.convert("RGB"))
    lines = []
    for top in range(0, rgb.shape[0], 2):
        upper = rgb[top]
        lower = rgb[top + 1] if top + 1 < rgb.shape[0] else None
        cells = []
        for x in range(rgb.shape[1]):
            fg = _colour(upper[x], 38, truecolor)
            bg = "\x1b[49m" if lower is None else _colour(lower[x], 48, truecolor)
            cells.append(f"{fg}{bg}▀")
        lines.append("".join(cells) + "\x1b[0m\n")
    return "".join(lines)


def _colour(rgb: np.ndarray, layer: int, truecolor: bool) -> str:
    r, g, b = (int(v) for v in rgb)
    if truecolor:
        return f"\x1b[{layer};2;{r};{g};{b}m"
    return f"\x1b[{layer};5;{ansi256(r, g, b)}m"


def ansi256(r: int, g: int, b: int) -> int:
    """The nearest of xterm's 256 colours: the 6x6x6 cube or the 24 greys.

    >>> ansi256(0, 0, 0), ansi256(255, 255, 255), ansi256(255, 0, 0), ansi256(128, 128, 128)
    (16, 231, 196, 244)
    """
    levels = (0, 95, 135, 175, 215, 255)

    def step(v: int) -> int:
        return min(range(6), key=lambda i: abs(levels[i] - v))

    cube = 16 + 36 * step(r) + 6 * step(g) + step(b)
    cube_rgb = (levels[step(r)], levels[step(g)], levels[step(b)])
    grey = min(23, max(0, round((r + g + b) / 3 - 8) // 10))
    grey_level = 8 + 10 * grey

    def distance(c: tuple[int, int, int]) -> int:
        return (c[0] - r) ** 2 + (c[1] - g) ** 2 + (c[2] - b) ** 2

    if distance((grey_level,) * 3) < distance(cube_rgb):
        return 232 + grey
    return cube


def kitty(png: bytes, columns: int) -> str:
    """The Kitty graphics protocol's transmit-and-display of a PNG (``a=T,f=100``), scaled to
    ``columns`` cells (``c=``), in chunks of 4096 base64 bytes (``m=1`` all but the last).

    >>> kitty(b"PNG", 10)
    '\\x1b_Ga=T,f=100,c=10,q=2;UE5H\\x1b\\\\'
    """
    data = base64.standard_b64encode(png).decode()
    chunks = [data[i : i + _KITTY_CHUNK] for i in range(0, len(data), _KITTY_CHUNK)] or [""]
    out = []
    for i, chunk in enumerate(chunks):
        keys = [f"a=T,f=100,c={columns},q=2"] if i == 0 else []
        if len(chunks) > 1:
            keys.append("m=1" if i < len(chunks) - 1 else "m=0")
        out.append(f"\x1b_G{','.join(keys)};{chunk}\x1b\\")
    return "".join(out)


def iterm(png: bytes, columns: int) -> str:
    """iTerm2's inline image (OSC 1337 ``File=``), ``columns`` cells wide.

    >>> iterm(b"PNG", 10)
    '\\x1b]1337;File=inline=1;size=3;width=10;preserveAspectRatio=1:UE5H\\x07'
    """
    data = base64.standard_b64encode(png).decode()
    return (
        f"\x1b]1337;File=inline=1;size={len(png)};width={columns};preserveAspectRatio=1:{data}\x07"
    )


def sixel(image: Image.Image, colours: int = 255) -> str:
    """DEC Sixel: a palette of at most ``colours`` (Pillow's median cut), then bands of six
    rows, each colour's pixels of a band as characters ``?`` + bits, runs as ``!N``.

    >>> sixel(Image.new("RGB", (3, 1), (255, 0, 0)))
    '\\x1bPq"1;1;3;1#0;2;100;0;0#0@@@$-\\x1b\\\\'
    """
    indexed = image.convert("RGB").quantize(colours, method=Image.Quantize.MEDIANCUT)
    palette = np.array((indexed.getpalette() or [])[: 3 * 256], np.int64).reshape(-1, 3)
    pixels = np.asarray(indexed)
    height, width = pixels.shape
    out = [f'\x1bPq"1;1;{width};{height}']
    used = np.unique(pixels)
    for i in used:
        r, g, b = (round(int(v) * 100 / 255) for v in palette[i])
        out.append(f"#{i};2;{r};{g};{b}")
    weights = (1 << np.arange(6)).reshape(6, 1)
    for top in range(0, height, 6):
        band = pixels[top : top + 6]
        for i in np.unique(band):
            bits = ((band == i) * weights[: len(band)]).sum(axis=0)
            out.append(f"#{i}" + _runs("".join(chr(63 + int(v)) for v in bits)) + "$")
        out.append("-")
    return "".join(out) + "\x1b\\"


def _runs(text: str) -> str:
    """Sixel's run-length coding: four or more of a character as ``!N`` and the character."""
    return re.sub(r"(.)\1{3,}", lambda m: f"!{len(m.group(0))}{m.group(1)}", text)


def png_bytes(image: Image.Image) -> bytes:
    """``image`` as a PNG in RGB, fast to write (level 1), as terminals are sent it."""
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()
