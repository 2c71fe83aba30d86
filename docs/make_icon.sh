#!/bin/sh
# Draws src/kindnudge/icons/kindnudge.png (a heart on a soft purple disc) and its .ico twin.
set -e
cd "$(dirname "$0")/../src/kindnudge/icons"
convert -size 128x128 xc:none -fill '#8c6bb1' -draw 'circle 64,64 64,4' -fill '#fdf6ee' \
    -draw "path 'M 64,100 C 20,70 26,34 48,34 C 58,34 64,42 64,48 C 64,42 70,34 80,34 C 102,34 108,70 64,100 Z'" \
    kindnudge.png
convert kindnudge.png -define icon:auto-resize=64,48,32,16 kindnudge.ico
