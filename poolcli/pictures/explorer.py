"""``poolimg explore``: one self-contained HTML page to point at any output pixel and see the
window that made it, its values and the formula, with synced zoom down to single pixels.

The page holds everything (its script, styles, pictures and numbers inline; no request to any
server), so it opens from a file in any current browser with no network. Python computes every
number (the passes are poolcli's own); the page only looks them up:

- each level (the original, then each pass) as a display picture (PNG, 8-bit as on sheets)
  and its values, exact, as a zlib-compressed little-endian array in planar order: the whole
  level when it has at most :data:`WHOLE_PIXELS` pixels, else a preview of it and the values
  of the detail region only (:mod:`poolcli.pictures.detail`), so a 24-MP photo stays a page of
  a few megabytes;
- each pass's windows, per axis: where each output's window starts, how many cells it has,
  their spacing (dilation) and the divisor of averages; the page's ``inspect`` reads windows
  from these, never recomputes a pool;
- the pass's settings and the PyTorch and Keras code (:mod:`poolcli.pictures.equivalents`).

``--example`` writes the tutorials' 4x4 example, with every size, stride, padding and dilation
the page's controls offer computed in advance by poolcli.
"""

from __future__ import annotations

import base64
import html
import io
import json
import zlib
from dataclasses import replace
from importlib import resources
from typing import Any

import numpy as np
from PIL import Image

from poolcli.core.geometry import PassGeometry, PlanError, plan_for
from poolcli.core.passes import run_passes
from poolcli.errors import ParameterError
from poolcli.io.picture import Picture
from poolcli.pictures.cell_pixels import display
from poolcli.pictures.detail import Region, busiest
from poolcli.pictures.equivalents import keras_code, torch_code
from poolcli.pictures.sheet import describe
from poolcli.spec.pool_spec import PoolSpec
from poolcli.spec.style import DEFAULT_BACKGROUND

WHOLE_PIXELS = 1_500_000  # a level this small is embedded whole: values of every pixel
PREVIEW_SIDE = 1600  # the longer side of a larger level's display picture
DETAIL_SIDE = 512  # the detail region of a large original, at 1:1

# The modes whose windows the page can show: one fixed window an output (stochastic draws a
# cell of a fixed window; fractional places its windows at random, which the page cannot show)
SHOWN_MODES = ("max", "min", "avg", "sum", "lp", "median", "mode", "stride", "stochastic")


def why_not_shown(mode: str) -> str:
    """Why the page cannot show a mode outside :data:`SHOWN_MODES`.

    >>> why_not_shown("fractional"), why_not_shown("blurpool")
    ('its windows are placed at random', 'its windows are weighted: a blur the page does not draw')
    """
    if mode in ("blurpool", "maxblurpool"):
        return "its windows are weighted: a blur the page does not draw"
    return "its windows are placed at random"


# The tutorials' 4x4 example (CS231n's max pooling figure): 2x2 max gives [[6, 8], [3, 4]]
EXAMPLE = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], np.uint8)
EXAMPLE_SIZES = (1, 2, 3, 4)
EXAMPLE_STRIDES = (1, 2, 3, 4)
EXAMPLE_PADDINGS = ("valid", "same", "ceil", "1")
EXAMPLE_DILATIONS = (1, 2)

# numpy dtype -> the page's typed array (64-bit integers travel as float64: exact to 2**53)
_TYPED = {
    "uint8": "u8",
    "uint16": "u16",
    "uint32": "u32",
    "int32": "i32",
    "float32": "f32",
    "float64": "f64",
    "int64": "f64",
    "uint64": "f64",
}


def _packed(values: np.ndarray) -> dict[str, Any]:
    kind = _TYPED[values.dtype.name]
    exact = values.astype({"f64": "<f8"}.get(kind, values.dtype.newbyteorder("<")))
    data = zlib.compress(np.ascontiguousarray(exact).tobytes(), 6)
    return {"type": kind, "data": base64.b64encode(data).decode("ascii")}


def _png(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=6)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _axis_windows(axis: Any, adaptive: bool, counted: bool) -> dict[str, Any]:
    from poolcli.core.axes import adaptive_bounds

    if adaptive:
        low, high = adaptive_bounds(axis.n, axis.out)
        lengths = (high - low).tolist()
        return {"start": low.tolist(), "taps": lengths, "d": 1, "count": lengths}
    starts = np.arange(axis.out, dtype=np.int64) * axis.s - axis.before
    return {
        "start": starts.tolist(),
        "taps": [axis.k] * axis.out,
        "d": axis.d,
        "count": axis.counts(counted).tolist(),
    }


def _level(
    planar: np.ndarray,
    mode: str,
    label: str,
    keep: tuple[slice, slice] | None,
    top: float | None = None,
) -> dict[str, Any]:
    """One level of the page: its display picture, and its values (all, or ``keep``);
    ``top``: grey values shown stretched so that ``top`` is white (the 4x4 example's 0-8)."""
    rows, cols = planar.shape[1:]
    pixel_mode = "L" if planar.shape[0] == 1 and mode not in ("I;16", "I", "F") else mode
    level: dict[str, Any] = {"label": label, "w": cols, "h": rows, "c": planar.shape[0]}
    if keep is None:
        level |= {"x0": 0, "y0": 0, "rw": cols, "rh": rows, "values": _packed(planar)}
        shown = planar
        if top:  # 20% grey at zero, so a cell of 0 is still a cell
            shown = np.floor(51 + planar.astype(np.float64) * (204 / top) + 0.5).astype(np.uint8)
        level["picture"] = _png(display(shown, pixel_mode, DEFAULT_BACKGROUND, keep_alpha=True))
        return level
    from poolcli.pictures.cell_pixels import drawn_at

    ys, xs = keep
    part = np.ascontiguousarray(planar[:, ys, xs])
    level |= {"x0": xs.start, "y0": ys.start, "rw": part.shape[2], "rh": part.shape[1]}
    level["values"] = _packed(part)
    level["detail"] = _png(display(part, pixel_mode, DEFAULT_BACKGROUND, keep_alpha=True))
    ratio = PREVIEW_SIDE / max(rows, cols)
    level["picture"] = _png(drawn_at(planar, pixel_mode, DEFAULT_BACKGROUND, ratio))
    return level


def _kept(
    region: Region, shape: tuple[int, int], of: tuple[int, int], margin: int
) -> tuple[slice, slice]:
    """The rows and columns of a level whose values the page holds: the detail region there,
    widened by ``margin`` cells (the next pass's window) so its windows can be read."""
    ys, xs = region.within(shape, of)
    return (
        slice(max(0, ys.start - margin), min(shape[0], ys.stop + margin)),
        slice(max(0, xs.start - margin), min(shape[1], xs.stop + margin)),
    )


def _pass_info(spec: PoolSpec, geom: PassGeometry) -> dict[str, Any]:
    adaptive = geom.adaptive
    rows_out, cols_out = geom.output_shape
    return {
        "index": geom.index,
        "mode": spec.mode,
        "settings": describe(spec) + f"  ->  {cols_out}x{rows_out}",
        "torch": torch_code(spec, geom),
        "keras": keras_code(spec, geom),
        "rows": _axis_windows(geom.rows, adaptive, spec.counts_padding),
        "cols": _axis_windows(geom.cols, adaptive, spec.counts_padding),
        "power": spec.power if spec.mode == "lp" else None,
        "evaluate": spec.evaluate,
    }


def document(
    planar: np.ndarray,
    mode: str,
    spec: PoolSpec,
    *,
    alpha: bool = False,
    threads: int | None = None,
    stretch: bool = False,
) -> dict[str, Any]:
    """What the page shows of ``planar`` pooled by ``spec``: its levels and passes
    (``stretch``: small grey values shown from dark grey to white, as the example's).

    Raises
    ------
    PoolError
        The mode has no window the page can show, or no pass fits.
    """
    if spec.mode not in SHOWN_MODES:
        raise ParameterError(
            f"explore shows {', '.join(SHOWN_MODES)}; not {spec.mode}: {why_not_shown(spec.mode)}"
        )
    if spec.ignore is not None:
        raise ParameterError("explore does not show --ignore yet: its divisors vary per window")
    shape = planar.shape[1:]
    plan = plan_for(spec, shape)
    levels = [planar, *run_passes(planar, spec, plan, alpha=alpha, threads=threads)]
    largest = max(level.shape[1] * level.shape[2] for level in levels)
    region = None
    if largest > WHOLE_PIXELS:
        side = min(DETAIL_SIDE, *shape)
        region = busiest(planar, min(DETAIL_SIDE, shape[1]), side)
    pages = []
    top = float(np.max(planar)) if stretch and planar.size else None  # one grey scale for all
    for number, values in enumerate(levels):
        label = "original" if number == 0 else f"pass {number}"
        label += f"  {values.shape[2]}x{values.shape[1]}"
        keep = None
        if region is not None and values.shape[1] * values.shape[2] > WHOLE_PIXELS:
            nxt = plan[number] if number < len(plan) else None
            margin = max(nxt.rows.extent, nxt.cols.extent) if nxt is not None else 0
            keep = _kept(region, values.shape[1:], shape, margin)
        pages.append(_level(values, mode, label, keep, top))
    return {
        "mode": mode,
        "alpha": alpha,
        "settings": describe(spec),
        "levels": pages,
        "passes": [_pass_info(spec, geom) for geom in plan],
        "detail": None
        if region is None
        else {"x": region.x, "y": region.y, "w": region.width, "h": region.height},
    }


def example_documents(mode: str, spec: PoolSpec) -> dict[str, Any]:
    """The 4x4 example pooled by every size, stride, padding and dilation the page offers,
    one pass each, keyed ``"size,stride,padding,dilation"``; a setting that does not fit
    maps to its error."""
    planar = EXAMPLE[None]
    documents: dict[str, Any] = {}
    for size in EXAMPLE_SIZES:
        for stride in EXAMPLE_STRIDES:
            for padding in EXAMPLE_PADDINGS:
                for dilation in EXAMPLE_DILATIONS:
                    key = f"{size},{stride},{padding},{dilation}"
                    try:
                        one = replace(
                            spec,
                            size=size,
                            stride=stride,
                            padding=int(padding) if padding.isdigit() else padding,  # type: ignore[arg-type]
                            dilation=dilation,
                            passes=1,
                            output_size=None,
                        )
                        documents[key] = document(planar, "L", one, stretch=True)
                    except (PlanError, ParameterError) as exc:
                        documents[key] = {"error": str(exc)}
    return documents


def page(
    document_: dict[str, Any],
    title: str,
    examples: dict[str, Any] | None = None,
    rows: list[tuple[str, dict[str, Any]]] | None = None,
) -> str:
    """The whole HTML page: the template with the data, title and script inlined.

    ``rows``: several documents of the same picture (a comparison's modes), which the page
    offers in a menu, their originals held once."""
    folder = resources.files("poolcli.pictures") / "explorer_page"
    template = (folder / "page.html").read_text("utf-8")
    script = (folder / "page.js").read_text("utf-8")
    style = (folder / "page.css").read_text("utf-8")
    documents = None
    if rows:
        first = rows[0][1]
        documents = [{"label": rows[0][0], "document": first}]
        for label, each in rows[1:]:
            shared = {**each, "levels": [{"shared": True}, *each["levels"][1:]]}
            documents.append({"label": label, "document": shared})
        document_ = first
    data = {"title": title, "document": document_, "examples": examples, "documents": documents}
    # </script> inside the data would end the script element: JSON may escape its slash
    text = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    return (
        template.replace("{{title}}", html.escape(title))
        .replace("/*{{style}}*/", style)
        .replace("/*{{data}}*/", text)
        .replace("/*{{script}}*/", script)
    )


def explore(picture: Picture, spec: PoolSpec, *, title: str, threads: int | None = None) -> str:
    """The page of ``picture``'s first frame pooled by ``spec`` (a palette image: its colours)."""
    frame, mode = picture.viewable()
    return page(document(frame, mode, spec, alpha=picture.has_alpha, threads=threads), title)


def explore_rows(
    picture: Picture,
    rows: list[tuple[str, PoolSpec]],
    passes: int,
    *,
    title: str,
    threads: int | None = None,
) -> str:
    """The page of a comparison: one document a row (mode or window size), in a menu; rows
    the page cannot show (random windows, no pass that fits) are left out."""
    frame, mode = picture.viewable()
    shown = []
    for label, given in rows:
        spec = given if given.output_size is not None else replace(given, passes=passes)
        try:
            plan_for(spec, frame.shape[1:])
        except PlanError as stop:  # as many passes as fit, as the grid shows
            if not stop.fits:
                continue
            spec = replace(spec, passes=len(stop.fits))
        try:
            shown.append(
                (label, document(frame, mode, spec, alpha=picture.has_alpha, threads=threads))
            )
        except ParameterError:
            if spec.mode in SHOWN_MODES:
                raise
    if not shown:
        raise ParameterError(f"{title}: none of these rows can be explored")
    return page(shown[0][1], title, rows=shown)


def explore_example(spec: PoolSpec) -> str:
    """The page of the 4x4 example, with its controls."""
    examples = example_documents("L", spec)
    first = examples.get("2,2,valid,1")
    if first is None or "error" in first:
        one = replace(spec, size=2, stride=2, padding="valid", passes=1, output_size=None)
        first = document(EXAMPLE[None], "L", one, stretch=True)
    return page(first, "the 4x4 example", examples)
