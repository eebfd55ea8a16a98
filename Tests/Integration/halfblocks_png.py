#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# halfblocks_png.py IN.txt OUT.png [SCALE]: draws the UTF-8 half-block text wg-server prints for a QR code as a
# grayscale PNG, so that a QR decoder reads what a phone would read off the terminal. The characters are the
# light modules (the terminal's dark background shows the dark ones): '█' both light, '▀' top light, '▄' bottom
# light, ' ' both dark. ANSI colour sequences are dropped. Standard library only (zlib, struct).
import re
import struct
import sys
import zlib

text = open(sys.argv[1], encoding="utf-8").read()
scale = int(sys.argv[3]) if len(sys.argv) > 3 else 4
text = re.sub("\x1b\\[[0-9;]*m", "", text)
lines = [line for line in text.split("\n") if line]
width = max(len(line) for line in lines)
cells = {"█": (1, 1), "▀": (1, 0), "▄": (0, 1), " ": (0, 0)}
rows = []
for line in lines:
    top, bottom = [], []
    for ch in line.ljust(width):
        if ch not in cells:
            sys.exit(f"unexpected character {ch!r} in the QR text")
        t, b = cells[ch]
        top.append(t)
        bottom.append(b)
    rows += [top, bottom]
# A margin of dark around it, as a dark terminal shows (the code's own quiet zone is in the text, drawn light).
margin = 2
pixels = []
dark_row = [0] * ((width + 2 * margin) * scale)
for _ in range(margin * scale):
    pixels.append(dark_row)
for row in rows:
    line = [0] * (margin * scale) + [255 * v for v in row for _ in range(scale)] + [0] * (margin * scale)
    for _ in range(scale):
        pixels.append(line)
for _ in range(margin * scale):
    pixels.append(dark_row)
w, h = len(pixels[0]), len(pixels)
raw = b"".join(b"\x00" + bytes(r) for r in pixels)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) \
    + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
open(sys.argv[2], "wb").write(png)
