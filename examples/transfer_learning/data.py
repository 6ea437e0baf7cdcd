"""The data of the example: scikit-learn's handwritten digits (8x8, 16 grey levels), upscaled.

Shared by train.py (TensorFlow venv) and evaluate.py (mnc's venv), so both see exactly the same
pixels: numpy only, no resampling library whose rounding could differ between the two.

Classes 0-4 are the "source" task the backbone is trained on; classes 5-9 are the "target" task it
is fine-tuned on. The target task's images are split into train and held-out parts with a seeded
shuffle; only the held-out 8x8 images are committed (heldout.npz), the rest comes from sklearn.
"""

from __future__ import annotations

import numpy as np

SIZE = 32                       # model input: SIZE x SIZE x 1
SOURCE_CLASSES = (0, 1, 2, 3, 4)
TARGET_CLASSES = (5, 6, 7, 8, 9)
HELD_OUT_FRACTION = 0.4
SPLIT_SEED = 13


def upscale(images_8x8: np.ndarray) -> np.ndarray:
    """[N, 8, 8] grey levels 0..16 -> float32 [N, SIZE, SIZE, 1] in [0, 1], bilinear (pixel centres)."""
    x = np.asarray(images_8x8, np.float32) / 16.0
    src = x.shape[-1]
    pos = (np.arange(SIZE, dtype=np.float32) + 0.5) * src / SIZE - 0.5
    lo = np.clip(np.floor(pos).astype(int), 0, src - 1)
    hi = np.clip(lo + 1, 0, src - 1)
    frac = np.clip(pos - lo, 0.0, 1.0).astype(np.float32)
    rows = x[:, lo, :] * (1 - frac)[None, :, None] + x[:, hi, :] * frac[None, :, None]
    out = rows[:, :, lo] * (1 - frac)[None, None, :] + rows[:, :, hi] * frac[None, None, :]
    return out[..., None]


def split(images: np.ndarray, labels: np.ndarray):
    """{"source": (x, y), "target_train": (x, y), "target_heldout": (x, y)} with 8x8 images and labels
    renumbered 0..4 within each task."""
    images, labels = np.asarray(images), np.asarray(labels)
    source = np.isin(labels, SOURCE_CLASSES)
    target_idx = np.flatnonzero(np.isin(labels, TARGET_CLASSES))
    np.random.default_rng(SPLIT_SEED).shuffle(target_idx)
    cut = int(round(len(target_idx) * (1 - HELD_OUT_FRACTION)))
    train_idx, held_idx = np.sort(target_idx[:cut]), np.sort(target_idx[cut:])
    return {
        "source": (images[source], labels[source] - SOURCE_CLASSES[0]),
        "target_train": (images[train_idx], labels[train_idx] - TARGET_CLASSES[0]),
        "target_heldout": (images[held_idx], labels[held_idx] - TARGET_CLASSES[0]),
    }
