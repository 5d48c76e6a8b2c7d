"""The help texts of the pooling commands: a summary line and examples for each mode.

Stdlib only; ``cli.py`` puts them together as each command's docstring.
"""

from __future__ import annotations

EXAMPLES = {
    "max": """Examples:

\b
  poolimg max photo.jpg --size 2 --stride 2 --passes 5
  poolimg max photo.jpg --to 512x               one pass to 512 wide (adaptive pooling)
  poolimg max photo.jpg -n 3 --final-only -o small.png   8 times smaller, one file
  poolimg max photo.jpg -n 2 --unpool --sheet   which pixels each pass kept
  poolimg max photo.jpg -k 3 -s 1 --dilation 2  cells two apart, as PyTorch's dilation=2
  find shots -name '*.jpg' -print0 | poolimg max --files-from - -0 -j 2 --json
""",
    "avg": """Examples:

\b
  poolimg avg photo.jpg -n 3 --linear          gamma-correct 8x reduction, each pass written
  poolimg avg photos/ -r -j 4 -o small/ --final-only
  poolimg avg scan.tif -k 4 -o - --format png > thumb.png
  poolimg avg photo.jpg -k 3 -s 2 -p 1 --compat caffe   Caffe's sizes and divisors
""",
    "min": """Examples:

\b
  poolimg min text-scan.png -k 2 -n 2          keeps thin dark strokes visible
  poolimg min photo.jpg --global --json        darkest value of each channel
""",
    "stride": """Examples:

\b
  poolimg stride photo.jpg -k 2 -n 3           nearest-neighbour decimation, as ImageMagick -sample
  poolimg stride photo.jpg -k 1 -s 3           keep every third pixel
""",
    "sum": """Examples:

\b
  poolimg sum sky.png -k 2 -n 3                 2x2 binning three times, 16-bit PNG, nothing lost
  poolimg sum sky.png -k 2 -n 3 --stretch       the same, scaled so viewers show it bright
  poolimg sum frame.tif -k 4 --format tiff      32-bit TIFF of 4x4 bins
  poolimg sum photo.jpg --global --json         each channel's total
""",
    "lp": """Examples:

\b
  poolimg lp photo.jpg --power 2 -k 2           Euclidean norm of each window (PyTorch LPPool2d)
  poolimg lp photo.jpg --power 1                the sum (p = 1)
  poolimg lp photo.jpg --power 3 -k 3 -s 2 --compat torch
""",
    "stochastic": """Examples:

\b
  poolimg stochastic photo.jpg --seed 7 -n 3    a draw per window, the same every run
  poolimg stochastic photo.jpg --eval           Caffe's test phase: sum(x^2)/sum(x)
  poolimg stochastic photo.jpg --seed 1 --unpool --sheet
""",
    "fractional": """Examples:

\b
  poolimg fractional photo.jpg --ratio 0.7 -n 4 --seed 3   shrink by 1/0.7 a pass (Graham 2014)
  poolimg fractional photo.jpg -k 3 --ratio 0.5 --unpool   overlapping 3x3 windows at random places
""",
    "median": """Examples:

\b
  poolimg median scan.png -k 3 -s 2             a 3x3 median a step of 2: salt-and-pepper goes
  poolimg median photo.jpg -k 3 -s 1 -p same    a median filter, the image's own size
""",
    "mode": """Examples:

\b
  poolimg mode mask.png -k 2 -n 2               a label map 4 times smaller, no class invented
  poolimg mode landcover.tif -k 4 -s 4          the majority class of each 4x4 block (GDAL's mode)
  poolimg mode mask.png --to 512x               a mask 512 wide; a palette PNG keeps its palette
""",
    "blurpool": """Examples:

\b
  poolimg blurpool photo.jpg -n 3               halve 3 times, blurred first: no moire, no jaggies
  poolimg blurpool photo.jpg --blur 5 -k 4      a 5-tap blur, every 4th pixel kept
  poolimg compare photo.jpg --modes stride,blurpool --shift 1   what the blur saves
""",
    "maxblurpool": """Examples:

\b
  poolimg maxblurpool photo.jpg -n 2            max pooling that a 1-pixel shift barely changes
  poolimg maxblurpool photo.jpg --blur 4 --reflect   antialiased-cnns's filter and border
  poolimg compare photo.jpg --modes max,maxblurpool --shift 1   max pooling's aliasing, seen
""",
}


SUMMARIES = {
    "max": "Keep the brightest value of each window, per channel (max pooling).",
    "avg": "Average each window, per channel (average pooling, exact rounding).",
    "min": "Keep the darkest value of each window, per channel (min pooling).",
    "stride": "Keep the first pixel of each window (strided subsampling).",
    "sum": "Add up each window, per channel (sum pooling, pixel binning), without loss.",
    "lp": "The Lp norm of each window, (sum x^p)^(1/p), per channel (PyTorch LPPool2d).",
    "stochastic": "Draw one pixel of each window, as likely as it is bright (Caffe STOCHASTIC).",
    "fractional": "Max over windows at random places, shrinking by a ratio from 1/2 to 1 "
    "(PyTorch FractionalMaxPool2d).",
    "median": "The median of each window, per channel (an even count: the two middle "
    "values' mean, rounded half up).",
    "mode": "The most frequent pixel of each window, channels together, for label maps and "
    "masks (ties: the smallest); each pass pools the last one's output. A palette image is "
    "pooled on its indices and keeps its palette.",
    "blurpool": "Blur with a binomial filter, then keep every stride-th pixel: anti-aliased "
    "subsampling (Zhang 2019; Kornia blur_pool2d).",
    "maxblurpool": "The max of each window at stride 1, then blurpool: max pooling that "
    "aliases far less (Zhang 2019; Kornia max_blur_pool2d).",
}

# The panels of each command's help, in order, and the parameters in each (by Python name);
# anything else lands in "Options".
PANELS = {
    "Window": (
        "to",
        "size",
        "stride",
        "padding",
        "dilation",
        "compat",
        "count_pad",
        "power",
        "seed",
        "ratio",
        "evaluate",
        "ignore",
        "blur",
        "reflect",
        "global_",
    ),
    "Passes": ("passes", "final_only", "linear", "draft"),
    "Grid": ("modes", "sizes", "diff", "shift"),
    "Output": (
        "output",
        "name",
        "format_",
        "quality",
        "compress_level",
        "flatten",
        "strip",
        "keep_metadata",
        "no_clobber",
        "unpool",
        "unpool_background",
        "winners",
    ),
    "Sheets": ("sheet", "sheet_only", "show", "sheet_scale", "cell", "background"),
    "Batch": (
        "recursive",
        "jobs",
        "dask",
        "storage_option",
        "files_from",
        "null",
        "dry_run",
        "json_",
        "quiet",
        "verbose",
    ),
    "Limits": ("max_pixels", "max_memory", "in_bands"),
}
PANEL_OF = {name: panel for panel, names in PANELS.items() for name in names}
