"""Illustrations of crafts for the demo's groups and products, drawn with Pillow at seed time.

No openly licensed photos of baskets, textiles, beads, pottery or shea are reachable from the package
registries this project may use (PyPI, npm, Debian, Maven, Go, crates.io: the image packages there are
landscapes, test cards or downloaders that fetch at run time), and a repository should not carry
megabytes of binaries. So the demo draws honest illustrations instead: a woven basket, a striped
cloth, strings of beads, pots, shea butter jars…, in colours and layouts chosen from a random generator
seeded by the demo's seed and the group, so the same seed draws the same pictures and every group
looks different. Their alt text says they are illustrations. They are stored through
`marketplace.uploads.store_image`, as an upload from a phone is.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from io import BytesIO

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 640, 360  # 16:9, as cards crop their covers
Colour = tuple[int, int, int]
# Natural fibres and dyes: sisal, raffia, indigo, madder, turmeric, charcoal, leaf green, clay, shea.
FIBRES: tuple[Colour, ...] = ((222, 196, 150), (204, 170, 112), (189, 150, 98), (232, 214, 178))
DYES: tuple[Colour, ...] = (
    (38, 64, 120),
    (160, 44, 38),
    (214, 152, 34),
    (48, 44, 42),
    (64, 118, 74),
    (176, 92, 56),
    (120, 60, 110),
    (22, 118, 128),
)
BACKGROUNDS: tuple[Colour, ...] = ((246, 240, 228), (236, 226, 210), (226, 234, 228), (240, 232, 236))

# What each top category of the taxonomy is drawn as, and the words of its alt text.
SUBJECTS: dict[str, tuple[str, str]] = {
    "baskets": ("basket", "woven baskets"),
    "bags": ("basket", "woven bags"),
    "textiles": ("cloth", "striped hand-woven cloth"),
    "apparel": ("cloth", "hand-woven garments"),
    "jewelry": ("beads", "strings of beads"),
    "home": ("pots", "hand-made pots"),
    "kitchen": ("pots", "hand-made bowls and pots"),
    "furniture": ("cloth", "woven furnishing"),
    "personal-care": ("jars", "jars of shea butter and soap"),
    "food": ("jars", "jars of honey and coffee"),
    "toys": ("beads", "hand-made toys"),
    "pets": ("basket", "woven pet baskets"),
}


def subject_of(category: str) -> tuple[str, str]:
    """Return (drawing, alt words) for a taxonomy code ("baskets.storage" → the basket drawing)."""
    return SUBJECTS.get(category.split(".", 1)[0], ("cloth", "hand-made goods"))


def _weave(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], a: Colour, b: Colour, strip: int) -> None:
    """Fill `box` with an over-under weave of two colours, strips `strip` pixels wide."""
    left, top, right, bottom = box
    for row, y in enumerate(range(top, bottom, strip)):
        for col, x in enumerate(range(left, right, strip)):
            over = (row + col) % 2 == 0
            colour = a if over else b
            draw.rectangle((x, y, min(x + strip - 2, right), min(y + strip - 2, bottom)), fill=colour)
            if over:  # a shadow line makes the strip read as passing over the other
                draw.line((x, min(y + strip - 2, bottom), min(x + strip - 2, right), min(y + strip - 2, bottom)), fill=_shade(a))


def _shade(colour: Colour, by: float = 0.75) -> Colour:
    return (int(colour[0] * by), int(colour[1] * by), int(colour[2] * by))


def _basket(image: Image.Image, draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    fibre, dye = rng.choice(FIBRES), rng.choice(DYES)
    count = rng.randint(1, 3)
    for n in range(count):
        width = rng.randint(150, 200) if count == 3 else rng.randint(170, 240)
        height = rng.randint(130, 200)
        cx = WIDTH * (n + 1) // (count + 1) + rng.randint(-15, 15)
        bottom = HEIGHT - rng.randint(30, 60)
        top = bottom - height
        body = Image.new("RGB", (width, height))
        _weave(ImageDraw.Draw(body), (0, 0, width, height), fibre, _shade(fibre, 0.85), rng.choice((10, 12, 14)))
        band = rng.randint(height // 4, height // 2)
        ImageDraw.Draw(body).rectangle((0, band, width, band + rng.randint(14, 30)), fill=dye)
        mask = Image.new("L", (width, height), 0)
        inset = rng.randint(12, 30)  # baskets narrow towards the base
        ImageDraw.Draw(mask).polygon([(0, 0), (width, 0), (width - inset, height), (inset, height)], fill=255)
        image.paste(body, (cx - width // 2, top), mask)
        draw.ellipse((cx - width // 2, top - 14, cx + width // 2, top + 14), outline=_shade(fibre, 0.6), width=6)


def _cloth(image: Image.Image, draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    colours = rng.sample(DYES, 3) + [rng.choice(FIBRES)]
    y = 0
    while y < HEIGHT:
        height = rng.choice((8, 12, 20, 36, 60))
        colour = rng.choice(colours)
        draw.rectangle((0, y, WIDTH, y + height), fill=colour)
        if height >= 36 and rng.random() < 0.6:  # a band of woven motifs, as in kente or a huipil
            for x in range(rng.randint(0, 20), WIDTH, 40):
                draw.polygon([(x, y + height // 2), (x + 12, y + 4), (x + 24, y + height // 2), (x + 12, y + height - 4)],
                             fill=rng.choice(colours))  # fmt: skip
        y += height
    for x in range(0, WIDTH, 9):  # the warp threads show through
        draw.line((x, 0, x, HEIGHT), fill=(255, 255, 255), width=1)


def _beads(image: Image.Image, draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    colours = rng.sample(DYES, 4) + [(240, 236, 226)]
    for strand in range(rng.randint(3, 5)):
        radius = rng.randint(7, 13)
        sag = rng.randint(60, 180)
        base = 60 + strand * 60
        for i in range(0, WIDTH + 1, radius * 2 + 2):
            t = i / WIDTH
            y = base + sag * math.sin(math.pi * t)
            colour = colours[(i // (radius * 2 + 2) + strand) % len(colours)]
            draw.ellipse((i - radius, y - radius, i + radius, y + radius), fill=colour, outline=_shade(colour, 0.6))
            draw.ellipse(
                (i - radius // 3 - 2, y - radius // 2 - 2, i - radius // 3 + 2, y - radius // 2 + 2), fill=(255, 255, 255)
            )


def _pots(image: Image.Image, draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    clay = rng.choice(((176, 92, 56), (150, 84, 60), (196, 128, 84), (120, 76, 58)))
    count = rng.randint(2, 4)
    for n in range(count):
        width = rng.randint(100, 140)
        height = rng.randint(110, 200)
        cx = WIDTH * (n + 1) // (count + 1) + rng.randint(-10, 10)
        bottom = HEIGHT - 40
        draw.ellipse((cx - width // 2, bottom - height, cx + width // 2, bottom), fill=clay, outline=_shade(clay))
        neck = width // 3
        draw.rectangle((cx - neck // 2, bottom - height - 24, cx + neck // 2, bottom - height + 16), fill=_shade(clay, 0.9))
        draw.ellipse((cx - neck // 2 - 6, bottom - height - 32, cx + neck // 2 + 6, bottom - height - 16), fill=_shade(clay, 0.7))
        band = bottom - height // 2
        pattern = rng.choice(DYES[:4])
        for x in range(cx - width // 2 + 12, cx + width // 2 - 12, 14):
            draw.line((x, band - 8, x + 7, band + 8), fill=pattern, width=3)


def _jars(image: Image.Image, draw: ImageDraw.ImageDraw, rng: random.Random) -> None:
    fills = ((244, 226, 170), (232, 196, 96), (206, 140, 40), (96, 60, 36), (240, 236, 220))
    count = rng.randint(3, 5)
    for n in range(count):
        width = rng.randint(80, 100)
        height = rng.randint(90, 150)
        left = WIDTH * (n + 1) // (count + 1) - width // 2
        bottom = HEIGHT - 40
        draw.rounded_rectangle(
            (left, bottom - height, left + width, bottom), radius=18, fill=rng.choice(fills), outline=(90, 70, 50)
        )
        draw.rectangle((left - 4, bottom - height - 22, left + width + 4, bottom - height), fill=rng.choice(DYES))
        draw.rectangle((left + 10, bottom - height // 2 - 18, left + width - 10, bottom - height // 2 + 18), fill=(250, 246, 236))


DRAWINGS: dict[str, Callable[[Image.Image, ImageDraw.ImageDraw, random.Random], None]] = {
    "basket": _basket,
    "cloth": _cloth,
    "beads": _beads,
    "pots": _pots,
    "jars": _jars,
}


def craft_picture(category: str, key: str) -> bytes:
    """Draw a JPEG illustration (640 × 360 px) of what `category` (a taxonomy code) makes; the same `key` draws the same one.

    `key` names the picture (demo seed, group, product): the layout and colours come from a generator seeded by it.
    """
    rng = random.Random(key)
    image = Image.new("RGB", (WIDTH, HEIGHT), rng.choice(BACKGROUNDS))
    draw = ImageDraw.Draw(image)
    DRAWINGS[subject_of(category)[0]](image, draw, rng)
    out = BytesIO()
    image.save(out, "JPEG", quality=78, optimize=True)
    return out.getvalue()


def picture_alt(category: str, maker: str) -> str:
    """Return the alt text of a drawn picture: what it shows, by whom, and that it is an illustration (≤ 200 characters)."""
    return f"Illustration of {subject_of(category)[1]} by {maker} (drawn for the demo)"[:200]
