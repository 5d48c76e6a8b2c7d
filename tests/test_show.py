"""--show: pictures in the terminal. The half-blocks are checked through a real terminal
(tmux, cell by cell against the sheet's pixels); the Kitty, iTerm2 and Sixel encoders against
their protocol documents (the Sixel one by decoding it back)."""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import poolcli
from poolcli.pictures import terminal_graphics

from .helpers import run

SGR = re.compile(r"\x1b\[([\d;:]*)m")


def quad(path: Path) -> Path:
    pixels = np.zeros((8, 8, 3), np.uint8)
    pixels[:4, :4], pixels[:4, 4:] = (255, 0, 0), (0, 255, 0)
    pixels[4:, :4], pixels[4:, 4:] = (0, 0, 255), (250, 250, 250)
    pixels[0, 0] = (7, 7, 7)  # max keeps the red, avg would not
    Image.fromarray(pixels).save(path)
    return path


Colour = tuple[int, ...] | None


def cells(lines: list[str]) -> list[list[tuple[Colour, Colour]]]:
    """The (foreground, background) colour of each cell of the lines tmux captured with -e
    (its escapes give each change of colour, which may carry over from line to line)."""
    fg: Colour = None
    bg: Colour = None
    rows = []
    for line in lines:
        out = []
        position = 0
        for match in SGR.finditer(line + "\x1b[m"):
            out += [(fg, bg)] * len(line[position : match.start()])
            position = match.end()
            if match.end() > len(line):  # the end-of-line marker added above
                break
            params = [int(p) if p else 0 for p in re.split("[;:]", match.group(1) or "0")]
            i = 0
            while i < len(params):
                code = params[i]
                if code in (38, 48) and params[i + 1 : i + 2] == [2]:
                    colour = tuple(params[i + 2 : i + 5])
                    fg, bg = (colour, bg) if code == 38 else (fg, colour)
                    i += 5
                    continue
                if code == 0:
                    fg = bg = None
                elif code == 39:
                    fg = None
                elif code == 49:
                    bg = None
                i += 1
        rows.append(out)
    return rows


def in_tmux(command: str, columns: int, lines: int) -> list[str]:
    """The lines a real terminal (tmux) shows after ``command``, with their colour escapes,
    up to the line ``EXIT=<code>`` it ends with."""
    socket = f"poolimg-test-{uuid.uuid4().hex[:8]}"
    tmux = ["tmux", "-L", socket, "-f", "/dev/null"]
    # the pane's own size, not the COLUMNS a test runner may have exported
    script = f"unset COLUMNS LINES; {command}; echo EXIT=$?; sleep 60"
    subprocess.run(
        [*tmux, "new-session", "-d", "-x", str(columns), "-y", str(lines), script], check=True
    )
    try:
        deadline = time.monotonic() + 30
        captured = ""
        while time.monotonic() < deadline and "EXIT=" not in captured:
            time.sleep(0.3)
            captured = subprocess.run(
                [*tmux, "capture-pane", "-e", "-p"], capture_output=True, text=True, check=True
            ).stdout
    finally:
        subprocess.run([*tmux, "kill-server"], check=False)
    shown = captured.splitlines()
    end = next(i for i, line in enumerate(shown) if "EXIT=" in line)
    assert "EXIT=0" in shown[end], shown[end]
    return shown[:end]


def plain(line: str) -> str:
    return SGR.sub("", line)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (apt-get install tmux)")
def test_half_blocks_in_a_real_terminal_show_the_passes_and_text_labels(tmp_path: Path) -> None:
    quad(tmp_path / "quad.png")
    shown = in_tmux(
        f"cd {tmp_path} && {sys.executable} -m poolcli max quad.png -n 1 --sheet-only "
        "--show blocks --background black",
        120,
        40,
    )
    assert not (tmp_path / "poolimg-out").exists()  # shown, not written
    assert plain(shown[0]) == "quad.png   max  size 2x2  stride 2x2  padding valid"
    labels = next(i for i, line in enumerate(shown) if "original 8x8" in plain(line))
    pictures = cells(shown[1:labels])
    # the original's picture: from column 0, as wide as the label line says
    width = plain(shown[labels]).index("pass 1")
    width -= 2  # the gap between pictures
    factor = width // 8
    assert factor >= 2 and width == 8 * factor and len(pictures) == 8 * factor // 2
    original = np.asarray(Image.open(tmp_path / "quad.png"))
    pooled = poolcli.pool(original, "max")
    for row, got in enumerate(pictures):
        for x in range(width):  # crisp blocks: every terminal cell is one pixel's colour
            assert got[x] == (
                tuple(original[2 * row // factor, x // factor]),
                tuple(original[(2 * row + 1) // factor, x // factor]),
            ), (row, x)
            # pass 1 (4x4) enlarged to the same height: 2 x factor a pixel
            at = width + 2 + x
            assert got[at][0] == tuple(pooled[2 * row // (2 * factor), x // (2 * factor)])
    assert plain(shown[labels]).rstrip() == "original 8x8" + " " * (width + 2 - 12) + "pass 1  4x4"


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux (apt-get install tmux)")
def test_a_large_photo_in_a_small_terminal_keeps_its_labels_and_shows_its_detail(
    tmp_path: Path, samples: Path
) -> None:
    shutil.copy(samples / "retina.jpg", tmp_path / "eye.jpg")  # 1411x1411
    shown = [
        plain(line)
        for line in in_tmux(
            f"cd {tmp_path} && {sys.executable} -m poolcli avg eye.jpg -n 3 --sheet-only "
            "--show ansi256",
            80,
            40,
        )
    ]
    text = "\n".join(shown)
    # every label whole, as text; four pictures do not fit 80 columns at a readable size
    for label in ("original 1411x1411", "pass 1  705x705", "pass 2  352x352", "pass 3  176x176"):
        assert label in text, text
    assert "detail" in text and "pass 1  x2" in text and "pass 3  x8" in text
    assert len(shown) <= 40  # the passes and their detail on one screen
    assert max(len(line) for line in shown) <= 80


def test_choice_of_method_from_the_environment() -> None:
    assert terminal_graphics.choose({"TERM": "xterm-kitty"}, ask=False) == "kitty"
    assert terminal_graphics.choose({"KITTY_WINDOW_ID": "1", "TERM": "xterm"}, ask=False) == "kitty"
    assert terminal_graphics.choose({"TERM_PROGRAM": "WezTerm"}, ask=False) == "iterm"
    assert terminal_graphics.choose({"LC_TERMINAL": "iTerm2"}, ask=False) == "iterm"
    assert terminal_graphics.choose({"TERM": "foot"}, ask=False) == "sixel"
    assert (
        terminal_graphics.choose(
            {"TERM": "xterm-kitty", "TMUX": "/tmp/x", "COLORTERM": "truecolor"}
        )
        == "blocks"
    )
    assert terminal_graphics.choose({"TERM": "tmux-256color", "TMUX": "/tmp/x"}) == "ansi256"
    assert terminal_graphics.choose({"COLORTERM": "24bit"}, ask=False) == "blocks"
    # not a terminal: the query is not even sent
    assert terminal_graphics.choose({"TERM": "xterm-256color"}) == "ansi256"


def png_of(size: tuple[int, int] = (300, 200)) -> tuple[Image.Image, bytes]:
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return image, buffer.getvalue()


def test_kitty_follows_the_graphics_protocol() -> None:
    # https://sw.kovidgoyal.net/kitty/graphics-protocol/: APC G, keys, ';', base64, ST; a
    # payload over 4096 bytes in chunks, m=1 on all but the last, which has m=0.
    _, png = png_of((900, 700))
    text = terminal_graphics.kitty(png, 40)
    commands = re.findall(r"\x1b_G([^;]*);([^\x1b]*)\x1b\\", text)
    assert "".join(f"\x1b_G{k};{p}\x1b\\" for k, p in commands) == text
    assert len(commands) > 1
    first_keys = dict(kv.split("=") for kv in commands[0][0].split(","))
    assert first_keys == {"a": "T", "f": "100", "c": "40", "q": "2", "m": "1"}
    assert [k for k, _ in commands[1:-1]] == ["m=1"] * (len(commands) - 2)
    assert commands[-1][0] == "m=0"
    assert all(len(p) <= 4096 and len(p) % 4 == 0 for (p,) in [(p,) for _, p in commands[:-1]])
    assert base64.standard_b64decode("".join(p for _, p in commands)) == png


def test_iterm_follows_the_inline_image_protocol() -> None:
    # https://iterm2.com/documentation-images.html: OSC 1337 ; File=[args] : base64 BEL
    _, png = png_of()
    text = terminal_graphics.iterm(png, 60)
    match = re.fullmatch(r"\x1b\]1337;File=([^:]*):([A-Za-z0-9+/=]*)\x07", text)
    assert match is not None
    args = dict(kv.split("=") for kv in match.group(1).split(";"))
    assert args == {"inline": "1", "size": str(len(png)), "width": "60", "preserveAspectRatio": "1"}
    assert base64.standard_b64decode(match.group(2)) == png


def decode_sixel(text: str) -> np.ndarray:
    """A plain reading of DEC Sixel (VT3xx manual): DCS q, raster attributes, #n;2;r;g;b
    colours in percent, #n selects, '?'..'~' six pixels a column, !N repeats, $ returns to
    the band's start, - goes to the next band."""
    assert text.startswith("\x1bPq") and text.endswith("\x1b\\")
    body = text[3:-2]
    raster = re.match(r'"1;1;(\d+);(\d+)', body)
    assert raster is not None
    width, height = int(raster.group(1)), int(raster.group(2))
    out = np.full((height, width, 3), -1, np.int64)
    colours: dict[int, tuple[int, int, int]] = {}
    current, x, top = 0, 0, 0
    for token in re.finditer(
        r"#(\d+)(?:;2;(\d+);(\d+);(\d+))?|!(\d+)(.)|([?-~])|(\$)|(-)", body[raster.end() :]
    ):
        if token.group(1) is not None:
            current = int(token.group(1))
            if token.group(2) is not None:
                colours[current] = tuple(round(int(token.group(i)) * 255 / 100) for i in (2, 3, 4))
            continue
        if token.group(8):
            x = 0
            continue
        if token.group(9):
            x, top = 0, top + 6
            continue
        count, char = (
            (int(token.group(5)), token.group(6)) if token.group(5) else (1, token.group(7))
        )
        bits = ord(char) - 63
        for _ in range(count):
            for r in range(6):
                if bits >> r & 1 and top + r < height:
                    out[top + r, x] = colours[current]
            x += 1
    return out


def test_sixel_decodes_back_to_the_picture() -> None:
    image = Image.open(io.BytesIO(png_of((37, 23))[1])).convert("RGB")
    image.paste((200, 30, 60), (5, 5, 20, 13))
    decoded = decode_sixel(terminal_graphics.sixel(image))
    assert (decoded >= 0).all()  # every pixel drawn once a colour covers it
    # colours are quantized to at most 255 and rounded to percent: within 2% of each channel
    assert np.abs(decoded - np.asarray(image, np.int64)).max() <= 6


def test_256_colour_blocks_and_an_odd_last_row() -> None:
    image = Image.new("RGB", (2, 3), (255, 0, 0))
    text = terminal_graphics.blocks(image, truecolor=False)
    lines = text.splitlines()
    assert len(lines) == 2
    assert lines[0] == "\x1b[38;5;196m\x1b[48;5;196m▀" * 2 + "\x1b[0m"
    assert lines[1] == "\x1b[38;5;196m\x1b[49m▀" * 2 + "\x1b[0m"  # below: the terminal's own


def test_show_refuses_what_would_mix_with_it(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    quad(tmp_path / "quad.png")
    result = run("max", "--show", "quad.png", "--sheet-only")  # --show alone: auto
    assert result.exit_code == 0 and not (tmp_path / "poolimg-out").exists()
    assert "\x1b[" in result.stdout  # not a terminal here: 256-colour half-blocks
    result = run("max", "quad.png", "--show", "blocks", "--json")
    assert result.exit_code == 2 and "--show draws on standard output" in result.stderr
    result = run("max", "quad.png", "--show", "pictures")  # not a method: an input, missing
    assert result.exit_code == 1 and "pictures: no such file" in result.stderr


def test_show_command_and_compare_show(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    quad(tmp_path / "quad.png")
    result = run("show", "quad.png", "--show", "blocks")
    assert result.exit_code == 0 and result.stdout.count("▀") > 8 * 8 // 2
    assert "\x1b[38;2;255;0;0m" in result.stdout
    result = run("show", "quad.png", "gone.png", "--show", "ansi256")
    assert result.exit_code == 1 and result.stderr == "poolimg: error: gone.png: no such file\n"
    result = run("compare", "quad.png", "--modes", "max,avg", "-n", "1", "--show", "blocks")
    assert result.exit_code == 0 and "▀" in result.stdout
    assert not (tmp_path / "poolimg-out").exists()  # no -o: shown, not written
    result = run("compare", "quad.png", "-n", "1", "--show", "blocks", "-o", "grid.png")
    assert result.exit_code == 0 and (tmp_path / "grid.png").is_file() and "▀" in result.stdout
