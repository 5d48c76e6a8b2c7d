"""The PyTorch and Keras 3 code that computes a pass, as the explorer prints it beside the pass.

Only what gives the same numbers is written (see docs/frameworks.md): where a framework has no
such layer, or cannot express the padding, dilation or rounding, the text says "no
equivalent" and why. ``x`` is an (N, C, H, W) float tensor for PyTorch and an (N, H, W, C)
array for Keras, as each expects.
"""

from __future__ import annotations

from poolcli.core.geometry import PassGeometry
from poolcli.spec.pool_spec import BLUR_MODES, PoolSpec

NONE = "no equivalent"


def _pair(rows: int, cols: int) -> str:
    return str(rows) if rows == cols else f"({rows}, {cols})"


def _symmetric_padding(geom: PassGeometry, counted: bool) -> tuple[int, int] | None:
    """PyTorch's padding (the same before and after on each axis), or None if none gives
    these windows. Padding after alone, with none before, is ceil_mode's overhang, unless an
    average counts it (PyTorch counts only declared padding)."""
    pads = []
    for axis in (geom.rows, geom.cols):
        if axis.before == axis.pad_end:
            pads.append(axis.before)
        elif axis.before == 0 and not counted:
            pads.append(0)
        else:
            return None
    return pads[0], pads[1]


def _torch_out(n: int, k: int, s: int, p: int, d: int, ceil: bool) -> int:
    """PyTorch's output size (``pooling_output_shape``), ceil_mode's last-window rule too."""
    span = n + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil else 0)
    out = span // s + 1
    if ceil and (out - 1) * s >= n + p:
        out -= 1
    return out


def _torch_ceil(geom: PassGeometry, padding: tuple[int, int]) -> bool | None:
    """The ``ceil_mode`` that gives the pass's sizes with ``padding``, or None if neither."""
    for ceil in (False, True):
        if all(
            _torch_out(a.n, a.k, a.s, p, a.d, ceil) == a.out
            for a, p in zip((geom.rows, geom.cols), padding, strict=True)
        ):
            return ceil
    return None


def torch_code(spec: PoolSpec, geom: PassGeometry) -> str:
    """``F.max_pool2d(x, 2, 2)`` and the like, or why there is none.

    >>> from poolcli.core.geometry import first_pass
    >>> spec = PoolSpec("avg", 3, 2, "ceil")
    >>> torch_code(spec, first_pass(spec, (10, 10)))
    'F.avg_pool2d(x, 3, 2, ceil_mode=True, count_include_pad=False)'
    """
    mode = spec.mode
    if mode in BLUR_MODES:
        return _blur_code(spec)
    if geom.adaptive or geom.whole:
        out = _pair(*geom.output_shape) if geom.adaptive else "1"
        if mode in ("max", "avg"):
            return f"F.adaptive_{mode}_pool2d(x, {out})"
        if mode == "min":
            return f"-F.adaptive_max_pool2d(-x, {out})"
        return f"{NONE} ({mode} to a size)"
    if spec.compat == "caffe":
        return f"{NONE} (Caffe's rounding of sizes)"
    if mode in ("median", "mode", "stochastic", "fractional"):
        return f"{NONE} (PyTorch has no {mode} pooling layer)"
    padding = _symmetric_padding(geom, spec.mode == "avg" and spec.counts_padding)
    if padding is None:
        return f"{NONE} (padding differs before and after: F.pad first)"
    (kr, kc), (sr, sc), (dr, dc) = spec.window, spec.step, spec.spacing
    args = [_pair(kr, kc), _pair(sr, sc)]
    if padding != (0, 0):
        args.append(f"padding={_pair(*padding)}")
    ceil = _torch_ceil(geom, padding)
    if ceil is None:
        return f"{NONE} (no padding and rounding of PyTorch's gives these sizes)"
    if mode == "stride":
        if padding != (0, 0) or (dr, dc) != (1, 1):
            return f"{NONE} (a strided slice has no padding or dilation)"
        return f"x[..., :{geom.rows.last_end - kr + 1}:{sr}, :{geom.cols.last_end - kc + 1}:{sc}]"
    if (dr, dc) != (1, 1):
        if mode not in ("max", "min"):
            return f"{NONE} (PyTorch dilates max pooling only)"
        args.append(f"dilation={_pair(dr, dc)}")
    if ceil:
        args.append("ceil_mode=True")
    if mode in ("max", "min"):
        call = f"F.max_pool2d({{x}}, {', '.join(args)})"
        return call.format(x="x") if mode == "max" else "-" + call.format(x="-x")
    if mode == "avg":
        args.append(f"count_include_pad={spec.counts_padding}")
        return f"F.avg_pool2d(x, {', '.join(args)})"
    if mode == "sum":
        return f"F.avg_pool2d(x, {', '.join(args)}, divisor_override=1)"
    if mode == "lp":
        if padding != (0, 0):
            return f"{NONE} (lp_pool2d takes no padding)"
        return f"F.lp_pool2d(x, {spec.power}, {', '.join(args)})"
    return NONE


def _blur_code(spec: PoolSpec) -> str:
    """Kornia's call (zero padding), or antialiased-cnns's layer (``reflect``).

    >>> _blur_code(PoolSpec("maxblurpool"))
    'kornia.filters.max_blur_pool2d(x, 3, stride=2, max_pool_size=2)'
    >>> _blur_code(PoolSpec("blurpool", 2, blur=4, reflect=True))
    'antialiased_cnns.BlurPool(C, filt_size=4, stride=2)(x)'
    """
    (kr, kc), (sr, sc), taps = spec.window, spec.step, spec.taps
    if kr != kc or sr != sc:
        return f"{NONE} (Kornia's and antialiased-cnns's windows and strides are square)"
    if spec.reflect:
        if taps > 7:
            return f"{NONE} (antialiased-cnns's filters have at most 7 taps)"
        x = "x" if spec.mode == "blurpool" else f"F.max_pool2d(x, {kr}, stride=1)"
        return f"antialiased_cnns.BlurPool(C, filt_size={taps}, stride={sr})({x})"
    if spec.mode == "blurpool":
        return f"kornia.filters.blur_pool2d(x, {taps}, stride={sr})"
    return f"kornia.filters.max_blur_pool2d(x, {taps}, stride={sr}, max_pool_size={kr})"


def keras_code(spec: PoolSpec, geom: PassGeometry) -> str:
    """``keras.layers.MaxPooling2D(2, 2, padding="valid")`` and the like, or why there is none.

    >>> from poolcli.core.geometry import first_pass
    >>> spec = PoolSpec("max", 2, 2, "same")
    >>> keras_code(spec, first_pass(spec, (9, 9)))
    'keras.layers.MaxPooling2D(2, 2, padding="same")'
    """
    mode = spec.mode
    if geom.adaptive or geom.whole:
        if mode not in ("max", "avg"):
            return f"{NONE} ({mode} to a size)"
        name = "Max" if mode == "max" else "Average"
        if geom.whole:
            return f"keras.layers.Global{name}Pooling2D(keepdims=True)"
        return f"keras.layers.Adaptive{name}Pooling2D({_pair(*geom.output_shape)})"
    if mode not in ("max", "min", "avg"):
        return f"{NONE} (Keras has no {mode} pooling layer)"
    if spec.padding not in ("valid", "same") or spec.compat == "caffe":
        return f"{NONE} (Keras pads valid or same only)"
    if spec.spacing != (1, 1):
        return f"{NONE} (Keras pooling has no dilation)"
    if mode == "avg" and spec.counts_padding and (geom.rows.padded or geom.cols.padded):
        return f"{NONE} (Keras averages the real cells only)"
    (kr, kc), (sr, sc) = spec.window, spec.step
    name = "AveragePooling2D" if mode == "avg" else "MaxPooling2D"
    layer = f'keras.layers.{name}({_pair(kr, kc)}, {_pair(sr, sc)}, padding="{spec.padding}")'
    return f"-{layer}(-x)" if mode == "min" else layer
