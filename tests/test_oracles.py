"""The two oracles agree with each other on the VWW reference model (images and random inputs)."""

from __future__ import annotations

import numpy as np
import pytest

from mnc.errors import MncError
from mnc.oracles import run_litert, run_tflm
from tests.conftest import SHARED_MODELS, VWW_INT8


def vww_image(name: str) -> np.ndarray:
    """MLPerf VWW preprocessing (pixels / 255, input scale 1/255, zp -128): int8 = uint8 - 128, gray -> RGB."""
    from PIL import Image

    gray = np.asarray(Image.open(SHARED_MODELS / name).convert("L"), dtype=np.int16)
    return np.repeat(gray[None, :, :, None] - 128, 3, axis=3).astype(np.int8)


@pytest.mark.parametrize("image", ["person.bmp", "no_person.bmp"])
def test_litert_and_tflm_agree_on_vww_images(shared_models, image):
    x = vww_image(image)
    litert, tflm = run_litert(VWW_INT8, x), run_tflm(VWW_INT8, x)
    assert litert.dtype == np.int8 and litert.shape == (1, 2)
    np.testing.assert_array_equal(litert, tflm)


def test_person_image_scores_higher_for_person_than_no_person(shared_models):
    person = run_litert(VWW_INT8, vww_image("person.bmp"))[0, 1]
    empty = run_litert(VWW_INT8, vww_image("no_person.bmp"))[0, 1]
    assert person > empty


def test_litert_and_tflm_agree_on_20_random_vww_inputs(shared_models):
    rng = np.random.default_rng(2024)
    for _ in range(20):
        x = rng.integers(-128, 128, (1, 96, 96, 3), dtype=np.int8)
        np.testing.assert_array_equal(run_litert(VWW_INT8, x), run_tflm(VWW_INT8, x))


def test_preserve_all_returns_every_intermediate_in_both_oracles(shared_models):
    x = vww_image("person.bmp")
    litert = run_litert(VWW_INT8.read_bytes(), x, preserve_all=True)
    tflm = run_tflm(VWW_INT8, x, preserve_all=True)
    assert len(litert) == 89  # every tensor of the subgraph, weights included
    for index in (58, 84, 85, 87, 88):  # first conv, last conv, pool, logits, softmax
        np.testing.assert_array_equal(litert[index], tflm[index].reshape(litert[index].shape))
    np.testing.assert_array_equal(litert[88], run_litert(VWW_INT8, x))


@pytest.mark.parametrize("run", [run_litert, run_tflm])
def test_oracles_reject_an_input_of_the_wrong_type(shared_models, run):
    with pytest.raises(MncError, match="model expects int8"):
        run(VWW_INT8, np.zeros((1, 96, 96, 3), np.float32))
