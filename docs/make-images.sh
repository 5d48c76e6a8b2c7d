#!/bin/sh
# Regenerates the pictures in README.md from sample_images/. Run from the repository root
# with poolimg installed (pip install .).
set -eu
poolimg max sample_images/astronaut.png -n 5 --sheet docs/sheet-max.png --sheet-only --cell 200 -q
poolimg compare sample_images/chelsea.png --modes max,avg,min,stride -n 4 --diff --cell 240 \
    -o docs/compare-modes.png -q
poolimg compare sample_images/rocket.jpg --modes max --sizes 2,3,4 -n 3 --cell 240 \
    -o docs/compare-sizes.png -q
