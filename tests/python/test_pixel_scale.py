"""Pixels in 0..255 (the usual 8-bit scale) are refused before any work, with
the way out (divide by 255); pixels in [0, 1] work as before (issue 24)."""

import numpy as np
import pytest


@pytest.fixture(scope="module")
def model():
    from pyrnn import rnn

    return rnn(n_hidden=4, seed=1)


def test_train_evaluate_predict_refuse_0_to_255_pixels_and_say_divide_by_255(model, small16, tmp_path):
    from pyrnn import PyrnnError, evaluate_rnn, predict_rnn, train_rnn
    from pyrnn.compiled import optimizer_of as model_adam

    x, y = small16["x_test"][:50], small16["y_test"][:50]
    bytes_ = np.round(x * 255).astype(np.uint8)  # as an image file or a CSV of 0..255 gives them
    message = r"x has values up to 255, but pyrnn's models read pixels in \[0, 1\].*divide by 255 first \(x / 255\)"
    with pytest.raises(PyrnnError, match=message):
        train_rnn(model, bytes_, y, batch=10, iteration=1, checkpoint=tmp_path / "c.npz")
    assert model_adam(model) is None and not list(tmp_path.iterdir())  # refused before any work
    with pytest.raises(PyrnnError, match=r"validation x has values up to 255.*\(validation x / 255\)"):
        train_rnn(model, x, y, batch=10, iteration=1, validation_data=(x * 255, y))
    with pytest.raises(PyrnnError, match=message):
        evaluate_rnn(model, bytes_, y)
    with pytest.raises(PyrnnError, match=message):
        predict_rnn(model, bytes_.astype(np.float64))
    # [0, 1] as before, the very top included
    assert evaluate_rnn(model, bytes_ / 255, y)["n"] == 50
    assert predict_rnn(model, np.ones((2, 256))).shape == (2,)
    # a value just above 1 is named unrounded, not as "1"
    with pytest.raises(PyrnnError, match=r"values up to 1\.00000012,"):
        predict_rnn(model, np.full((2, 256), np.nextafter(np.float32(1), np.float32(2))))
