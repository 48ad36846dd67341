#!/usr/bin/env python3
"""Writes the example folder dataset examples/data/stripes/<class>/<n>.png (standard library only, deterministic).

Three classes of 32x32 RGB images: stripes that run horizontally, vertically or diagonally, each image with its own
two random colours, stripe width, phase and pixel noise. A folder dataset in the ImageFolder layout the platform reads
(data.dataset "folder"); ./platform up copies it into the data root (.local/data/examples/stripes).
"""
import os, random, struct, zlib

SIZE, PER_CLASS = 32, 30
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stripes")


def png(width, height, rgb):
    raw = b"".join(b"\x00" + bytes(rgb[y * width * 3:(y + 1) * width * 3]) for y in range(height))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def image(kind, rng):
    a = [rng.randrange(256) for _ in range(3)]
    b = [(c + 96 + rng.randrange(64)) % 256 for c in a]
    width, phase = rng.randint(2, 5), rng.randrange(8)
    out = []
    for y in range(SIZE):
        for x in range(SIZE):
            t = {"horizontal": y, "vertical": x, "diagonal": x + y}[kind] + phase
            colour = a if (t // width) % 2 == 0 else b
            out.extend(max(0, min(255, c + rng.randint(-12, 12))) for c in colour)
    return out


if __name__ == "__main__":
    rng = random.Random(7)
    for kind in ("diagonal", "horizontal", "vertical"):
        os.makedirs(os.path.join(ROOT, kind), exist_ok=True)
        for n in range(PER_CLASS):
            with open(os.path.join(ROOT, kind, f"{n:03d}.png"), "wb") as f:
                f.write(png(SIZE, SIZE, image(kind, rng)))
