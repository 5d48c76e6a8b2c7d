#!/bin/sh
# Regenerates the pictures in README.md from sample_images/. Run from the repository root
# with poolimg installed (pip install .).
set -eu
poolimg max sample_images/astronaut.png -n 5 --sheet docs/sheet-max.png --sheet-only --cell 200 -q
poolimg compare sample_images/chelsea.png --modes max,avg,min,stride -n 4 --diff --cell 240 \
    -o docs/compare-modes.png -q
poolimg compare sample_images/rocket.jpg --modes max --sizes 2,3,4 -n 3 --cell 240 \
    -o docs/compare-sizes.png -q
poolimg compare sample_images/rocket.jpg --modes max,maxblurpool --shift 1 -n 2 --cell 240 \
    -o docs/compare-shift.png -q
# --unpool on a crop of the cat's eye: the pixels each pass kept, the rest of the photo faded.
dir="$(mktemp -d)"
python -c "from PIL import Image; Image.open('sample_images/chelsea.png').crop((96, 88, 256, 208)).save('$dir/chelsea-eye.png')"
(cd "$dir" && poolimg max chelsea-eye.png -n 3 --unpool --unpool-background dim \
    --sheet "$OLDPWD/docs/unpool.png" --sheet-only --cell 320 -q)
rm -r "$dir"
