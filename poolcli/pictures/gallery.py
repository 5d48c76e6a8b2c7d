"""The gallery page of ``--html`` over several inputs: each input's contact sheet, and the
inputs that failed with their errors, in one HTML file that needs no network."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence

_STYLE = """
body { margin: 0; padding: 14px 18px; background: #262626; color: #ebebeb;
  font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
h1 { font-size: 18px; margin: 0 0 4px; } h2 { font-size: 15px; margin: 18px 0 6px; }
p { margin: 2px 0; } .dim { color: #9a9a9a; } .failed { color: #ff7a7a; }
img { display: block; max-width: 100%; height: auto; margin-top: 6px; }
code { font-family: ui-monospace, monospace; }
"""


def gallery(
    title: str,
    settings: str,
    sheets: Sequence[tuple[str, bytes]],
    failures: Sequence[tuple[str, str]],
) -> str:
    """The page: ``sheets`` as (input, JPEG bytes) in input order, then ``failures`` as
    (input, error).

    >>> page = gallery("run", "max  size 2x2", [], [("a.png", "a.png: not an image")])
    >>> "a.png: not an image" in page and "<script" not in page
    True
    """
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>poolimg: {html.escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>poolimg <span class=dim>{html.escape(title)}</span></h1>",
        f"<p class=dim><code>{html.escape(settings)}</code></p>",
        f"<p>{len(sheets)} done, {len(failures)} failed</p>",
    ]
    for name, picture in sheets:
        data = base64.b64encode(picture).decode("ascii")
        label = html.escape(name)
        parts.append(f'<h2 id="{label}">{label}</h2>')
        parts.append(f'<img alt="the passes of {label}" src="data:image/jpeg;base64,{data}">')
    if failures:
        parts.append("<h2>Failed</h2>")
        for _, error in failures:
            parts.append(f"<p class=failed><code>{html.escape(error)}</code></p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
