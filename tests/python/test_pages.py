"""Digits on real-looking pages (issue 24): real MNIST test digits drawn in dark
ink on generated pages (uneven lighting, ruled and squared paper, coloured
paper, a vignette, a shadow across the page) are read by a small trained model
about as well as the same digits on clean white paper, and prepared into
about the same 28 x 28 digits. bench/pages.py measures the same pages against
another version's load_digit.

The page makers here are shared with bench/pages.py (which imports this file)."""

import numpy as np
import pytest
from PIL import Image

N_DIGITS = 40  # the sample's first test digits
SIDE = 240  # page side in pixels; the digit is drawn 150 pixels high
INK = np.array([35.0, 30.0, 45.0])  # a dark pen, in RGB


def _ramp(a: np.ndarray, low: float, high: float) -> np.ndarray:
    return low + (high - low) * a


def lighting(kind: str, rng) -> np.ndarray:
    """float SIDE x SIDE light falling on the page (1 = full)."""
    r, c = np.indices((SIDE, SIDE)) / (SIDE - 1)
    if kind == "gradient":  # lit from one side
        return _ramp(c * np.cos(0.4) + r * np.sin(0.4), 1.0, 0.4)
    if kind == "vignette":  # a phone camera's dark corners
        return 1.0 - 0.65 * (((r - 0.5) ** 2 + (c - 0.5) ** 2) / 0.5) ** 1.5
    if kind == "shadow":  # a hand's or a phone's shadow over a third of the page, soft-edged
        edge = 0.38 + 0.25 * r  # slanted
        return 1.0 - 0.5 / (1.0 + np.exp((c - edge) / 0.02))
    return np.ones((SIDE, SIDE))


def paper(kind: str) -> np.ndarray:
    """uint8-valued float SIDE x SIDE x 3 page before lighting."""
    page = np.empty((SIDE, SIDE, 3))
    page[:] = {"coloured": (250, 222, 120)}.get(kind, (246, 244, 238))
    if kind in ("ruled", "squared"):
        rule = np.array([140.0, 165.0, 215.0])  # printed light blue
        for at in range(13, SIDE, 26):
            page[at:at + 2] = rule
            if kind == "squared":
                page[:, at:at + 2] = rule
    if kind == "ruled":
        page[:, 30:32] = (215, 120, 120)  # the red margin line
    return page


BACKGROUNDS = ("clean", "gradient", "ruled", "squared", "coloured", "vignette", "shadow")


def page_image(digit28: np.ndarray, background: str, rng) -> Image.Image:
    """An RGB page SIDE x SIDE: the MNIST digit (28 x 28 in [0, 1], light on
    dark) drawn 150 pixels high in dark ink, somewhat off centre, on the
    background, lit as it says, with a little sensor noise."""
    size = 150
    alpha = np.asarray(Image.fromarray((digit28 * 255).astype(np.uint8)).resize((size, size), Image.Resampling.BICUBIC),
                       dtype=np.float64)[..., None] / 255
    page = paper(background)
    top, left = rng.integers(20, SIDE - size - 20, size=2)
    window = page[top:top + size, left:left + size]
    page[top:top + size, left:left + size] = window * (1 - alpha) + INK * alpha
    page *= lighting(background, rng)[..., None]
    page += rng.normal(0, 3, size=page.shape)
    return Image.fromarray(np.clip(np.round(page), 0, 255).astype(np.uint8))


def prepared_digits(images, backgrounds, folder, load_digit) -> dict:
    """{background: float32 [n, 28, 28]}: each image (28 x 28) drawn on each
    background, saved as a JPEG in `folder` and read back by `load_digit`."""
    out = {}
    for background in backgrounds:
        rng = np.random.default_rng(1)  # the same placement on every background
        digits = []
        for k, image in enumerate(images):
            path = folder / f"{background}-{k}.jpg"
            page_image(image, background, rng).save(path, quality=90)
            digits.append(load_digit(path))
        out[background] = np.stack(digits)
    return out


@pytest.fixture(scope="module")
def reader(sample):
    """A small LSTM trained once on the sample (16 x 16 digits)."""
    from pyrnn import lstm, reduceImage, train_rnn

    model = lstm(n_hidden=32, seed=1)
    train_rnn(model, reduceImage(sample.train.images), sample.train.labels, iteration=150, batch=100, seed=1)
    return model


@pytest.fixture(scope="module")
def pages(sample, tmp_path_factory):
    from pyrnn import load_digit

    images = sample.test.images[:N_DIGITS].reshape(-1, 28, 28)
    return prepared_digits(images, BACKGROUNDS, tmp_path_factory.mktemp("pages"), load_digit)


def test_digits_on_uneven_lit_ruled_coloured_shaded_pages_read_as_on_clean_paper(reader, pages, sample):
    from pyrnn import predict_rnn, reduceImage

    truth = sample.test.labels[:N_DIGITS].argmax(axis=1)
    accuracy = {name: float(np.mean(predict_rnn(reader, reduceImage(digits)) == truth))
                for name, digits in pages.items()}
    on_mnist = float(np.mean(predict_rnn(reader, reduceImage(sample.test.images[:N_DIGITS])) == truth))
    assert accuracy["clean"] >= on_mnist - 0.15, (accuracy, on_mnist)  # the pages themselves cost little
    for name, value in accuracy.items():
        assert value >= accuracy["clean"] - 0.1, (name, accuracy)  # 4 digits in 40


@pytest.mark.parametrize("background", BACKGROUNDS[1:])
def test_the_page_is_taken_away_leaving_the_digit_as_on_clean_paper(background, pages):
    clean, digits = pages["clean"], pages[background]
    correlations = [np.corrcoef(a.ravel(), b.ravel())[0, 1] for a, b in zip(clean, digits)]
    assert np.median(correlations) > 0.9 and np.min(correlations) > 0.5, (background, np.round(correlations, 2))
    # no grey slab, rule or corner left around the digit: as much ink as on clean paper
    assert 0.8 < digits.sum() / clean.sum() < 1.25, background
