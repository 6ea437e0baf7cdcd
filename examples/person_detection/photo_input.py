"""Write a photograph from scikit-image as the VWW model's input: 96x96 RGB, int8 = pixel - 128.

The MLPerf Tiny VWW model takes int8 with scale 1/255 and zero point -128, i.e. pixel / 255 in
[0, 1]; quantized, that is pixel - 128. scikit-image ships its sample photographs inside its wheel,
so nothing is downloaded.

    python photo_input.py astronaut astronaut.npy     # a person
    python photo_input.py coffee coffee.npy           # no person
"""

from __future__ import annotations

import argparse

import numpy as np
from skimage import data
from skimage.color import gray2rgb
from skimage.transform import resize

PHOTOS = ("astronaut", "camera", "coffee", "chelsea")
SIZE = 96


def photo_input(name: str) -> np.ndarray:
    """The photograph `name` from skimage.data as a [1, 96, 96, 3] int8 VWW input."""
    if name not in PHOTOS:
        raise SystemExit(f"unknown photograph {name!r} (choose from {', '.join(PHOTOS)})")
    image = getattr(data, name)()
    if image.ndim == 2:
        image = gray2rgb(image)
    small = resize(image[..., :3], (SIZE, SIZE), anti_aliasing=True, preserve_range=True)
    pixels = np.clip(np.rint(small), 0, 255).astype(np.int16)
    return (pixels - 128).astype(np.int8).reshape(1, SIZE, SIZE, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photo", choices=PHOTOS)
    parser.add_argument("output", help="where to write the .npy")
    args = parser.parse_args()
    np.save(args.output, photo_input(args.photo))


if __name__ == "__main__":
    main()
