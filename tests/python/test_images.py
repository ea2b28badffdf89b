"""reduceImage: the cookbook's nearest-neighbour mapping, shapes, ranges, errors."""

import numpy as np
import pytest

from pyrnn import reduceImage


def reference_nearest(image28, n_out=16):
    """CImg nearest resize written out pixel by pixel: output (r, c) reads
    source (floor(r * 28 / n_out), floor(c * 28 / n_out))."""
    out = np.empty((n_out, n_out), dtype=np.float32)
    for r in range(n_out):
        for c in range(n_out):
            out[r, c] = image28[int(r * 28 / n_out), int(c * 28 / n_out)]
    return out.reshape(-1)


def test_nearest_matches_the_pixel_by_pixel_mapping(sample):
    images = sample.test.images[:50]
    got = reduceImage(images)
    expected = np.stack([reference_nearest(img.reshape(28, 28)) for img in images])
    np.testing.assert_array_equal(got, expected)


def test_known_source_pixels():
    image = np.arange(784, dtype=np.float32)
    out = reduceImage(image).reshape(16, 16)
    # row 1 reads source row 1 (28/16 = 1.75), row 15 reads row 26; column 8 reads column 14
    assert out[1, 0] == 28 * 1 and out[15, 0] == 28 * 26 and out[0, 8] == 14


def test_input_forms_and_shapes(sample):
    images = sample.test.images[:4]
    one = reduceImage(images[0])
    assert one.shape == (1, 256) and one.dtype == np.float32
    np.testing.assert_array_equal(reduceImage(images[0].reshape(28, 28)), one)
    np.testing.assert_array_equal(reduceImage(images.reshape(4, 28, 28)), reduceImage(images))
    assert reduceImage(images, n_pixel_x=8, n_pixel_y=12).shape == (4, 96)
    assert reduceImage([list(images[0])]).shape == (1, 256)


def test_output_stays_in_the_input_range(sample):
    images = sample.test.images[:20] * 255.0
    for method in ("nearest", "bilinear", "bicubic", "box", "lanczos"):
        out = reduceImage(images, method=method)
        assert out.shape == (20, 256) and out.dtype == np.float32
        assert out.min() >= 0.0 and out.max() <= 255.0
        assert out.max() > 100  # the digit strokes survive


def test_uint8_input_is_accepted():
    image = (np.arange(784) % 256).astype(np.uint8)
    np.testing.assert_array_equal(reduceImage(image), reduceImage(image.astype(np.float32)))


@pytest.mark.parametrize("bad, match", [
    (np.zeros(783), "not square"),
    (np.zeros((2, 3, 4)), "expected a 784-vector"),
    (np.zeros((0, 784)), "no pixels"),
    (np.full(784, np.nan), "NaN"),
    (["a"] * 784, "numeric"),
])
def test_bad_input_is_explained(bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        reduceImage(bad)


def test_bad_method_and_size():
    with pytest.raises(ValueError, match="unknown method 'cubic'"):
        reduceImage(np.zeros(784), method="cubic")
    with pytest.raises(ValueError, match="n_pixel_x must be a positive whole number"):
        reduceImage(np.zeros(784), n_pixel_x=0)
