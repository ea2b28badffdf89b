"""Image reduction: 28x28 MNIST digits to the 16x16 sequences of the recipes."""

from __future__ import annotations

import numpy as np
from PIL import Image

# Pillow filters for the methods other than the cookbook's nearest neighbour.
PIL_FILTERS = {
    "bilinear": Image.Resampling.BILINEAR,
    "bicubic": Image.Resampling.BICUBIC,
    "box": Image.Resampling.BOX,
    "hamming": Image.Resampling.HAMMING,
    "lanczos": Image.Resampling.LANCZOS,
}
METHODS = ("nearest",) + tuple(PIL_FILTERS)


def nearest_index(n_in: int, n_out: int) -> np.ndarray:
    """Source index read by each output pixel under CImg's nearest-neighbour
    resize (imager::resize's default): output i reads floor(i * n_in / n_out)."""
    return (np.arange(n_out) * n_in) // n_out


def nearest_pixels(side: int, n_pixel_x: int = 16, n_pixel_y: int = 16) -> np.ndarray:
    """Flat row-major source index (int64 [n_pixel_y * n_pixel_x]) that each
    output pixel of the nearest-neighbour resize of a side x side image reads.
    `images[:, nearest_pixels(28)]` reduces N x 784 rows to N x 256."""
    rows, cols = nearest_index(side, n_pixel_y), nearest_index(side, n_pixel_x)
    return (rows[:, None] * side + cols[None, :]).ravel()


def _as_square_images(actds) -> np.ndarray:
    """N x side x side array (float32 or wider) from any accepted input form.

    A 2-d array is N images of side*side pixels per row, unless its rows are
    not a square length and it is square itself: then it is one image (28 x 28).
    """
    try:
        arr = np.asarray(actds)
        if not np.issubdtype(arr.dtype, np.floating):
            arr = arr.astype(np.float32)
    except (TypeError, ValueError) as err:
        raise TypeError(f"reduceImage needs numeric pixels (a 784-vector or an N x 784 matrix): {err}") from None
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim == 2 and not _is_square(arr.shape[1]) and arr.shape[0] == arr.shape[1]:
        arr = arr[None]
    elif arr.ndim == 2:
        side = _is_square(arr.shape[1])
        if not side:
            raise ValueError(f"reduceImage: rows of length {arr.shape[1]} are not square images; "
                             "expected 784 pixels per row (28x28 MNIST), or any n*n")
        arr = arr.reshape(arr.shape[0], side, side)
    if arr.ndim != 3 or arr.shape[1] != arr.shape[2]:
        raise ValueError(f"reduceImage: got an array of shape {np.shape(actds)}; expected a 784-vector, "
                         "an N x 784 matrix, a 28 x 28 image or an N x 28 x 28 array")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"reduceImage: no pixels given (shape {np.shape(actds)})")
    if not np.isfinite(arr).all():
        raise ValueError("reduceImage: the pixels contain NaN or infinite values")
    return arr


def _is_square(n: int) -> int:
    side = int(round(np.sqrt(n)))
    return side if side > 0 and side * side == n else 0


def reduceImage(actds, n_pixel_x: int = 16, n_pixel_y: int = 16, method: str = "nearest") -> np.ndarray:
    """Shrink MNIST digits, as the cookbook's `reduceImage` did with imager.

    actds: one image (a 784-vector or a 28 x 28 array) or many (N x 784 or
        N x 28 x 28); any square size works, pixels in any numeric range.
    n_pixel_x, n_pixel_y: output width and height.
    method: "nearest" (default) reproduces imager::resize's default, output
        pixel i reading source pixel floor(i * 28 / 16) along both axes;
        "bilinear", "bicubic", "box", "hamming", "lanczos" use Pillow filters.
    Returns float32 rows, row-major: 1 x (n_pixel_x * n_pixel_y) for one
    image (the cookbook's shape), N x (n_pixel_x * n_pixel_y) for N, with
    values clipped to the input's range.
    """
    if method not in METHODS:
        raise ValueError(f"reduceImage: unknown method {method!r}; choose one of {', '.join(METHODS)}")
    for name, value in (("n_pixel_x", n_pixel_x), ("n_pixel_y", n_pixel_y)):
        if int(value) != value or value < 1:
            raise ValueError(f"reduceImage: {name} must be a positive whole number, got {value!r}")
    n_pixel_x, n_pixel_y = int(n_pixel_x), int(n_pixel_y)
    images = _as_square_images(actds)
    side = images.shape[1]
    if method == "nearest":
        # one gather over flattened rows: no N x 784 temporary is made
        flat = nearest_pixels(side, n_pixel_x, n_pixel_y)
        return images.reshape(images.shape[0], side * side)[:, flat].astype(np.float32)
    filt = PIL_FILTERS[method]
    small = np.stack([
        np.asarray(Image.fromarray(img.astype(np.float32), mode="F").resize((n_pixel_x, n_pixel_y), filt))
        for img in images
    ])
    # lanczos and bicubic overshoot: keep the output in the input's range
    small = np.clip(small, images.min(), images.max())
    return small.reshape(images.shape[0], n_pixel_x * n_pixel_y).astype(np.float32)


# --- a user's own digit image -> the MNIST convention --------------------------

MNIST_SIDE = 28
MNIST_BOX = 20  # MNIST digits fit a 20x20 box, centred by centre of mass in 28x28
_INK_THRESHOLD = 0.2  # share of full contrast that counts as ink when cropping


def load_digit(path) -> np.ndarray:
    """Read a PNG or JPEG of one handwritten digit, of any size, into the MNIST
    convention: float32 28 x 28 in [0, 1], light digit on a dark background.

    Dark-on-light and light-on-dark images both work (the background is the
    border's median grey). Like MNIST, the digit is cropped, scaled to fit a
    20 x 20 box keeping its aspect ratio, and placed so that its centre of mass
    is the centre of the 28 x 28 field.
    Raises FileNotFoundError for a missing file, ValueError (naming the file)
    for a file that is not an image or holds no digit.
    """
    gray = _read_gray(path)
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    background = float(np.median(border))
    if background > 0.5:  # dark digit on light paper: turn it into MNIST's light on dark
        gray, background = 1.0 - gray, 1.0 - background
    contrast = float(gray.max()) - background
    if contrast < 0.1:
        raise ValueError(f"{path}: no digit found (the image is almost uniform); "
                         "give a picture of one digit, dark on light or light on dark")
    ink = np.clip((gray - background) / contrast, 0.0, 1.0)
    rows, cols = np.nonzero(ink > _INK_THRESHOLD)
    ink = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    scale = MNIST_BOX / max(ink.shape)
    size = (max(1, round(ink.shape[1] * scale)), max(1, round(ink.shape[0] * scale)))
    digit = np.clip(np.asarray(Image.fromarray(ink.astype(np.float32), mode="F")
                               .resize(size, Image.Resampling.LANCZOS)), 0.0, 1.0)
    return _centre_by_mass(digit)


def _read_gray(path) -> np.ndarray:
    """Grayscale float32 [0, 1] pixels of an image file; transparent areas
    become the background opposite to the drawn strokes."""
    from PIL import ImageOps, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img = ImageOps.exif_transpose(img)
            if img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info:
                img = img.convert("RGBA")
                alpha = np.asarray(img.getchannel("A"), dtype=np.float32) / 255.0
                strokes = np.asarray(img.convert("L"), dtype=np.float32) / 255.0
                # strokes drawn dark go on white, strokes drawn light on black
                paper = 1.0 if np.average(strokes, weights=alpha + 1e-6) < 0.5 else 0.0
                return (strokes * alpha + paper * (1.0 - alpha)).astype(np.float32)
            return np.asarray(img.convert("L"), dtype=np.float32) / 255.0
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such image file") from None
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as err:
        raise ValueError(f"{path}: cannot be read as an image ({err}); give a PNG or JPEG of one digit") from None


def _centre_by_mass(digit: np.ndarray) -> np.ndarray:
    """Place `digit` (h x w, h, w <= 20) in a 28 x 28 field with its centre of
    mass at the field's centre, shifted back inside where it would be cut."""
    field = np.zeros((MNIST_SIDE, MNIST_SIDE), dtype=np.float32)
    h, w = digit.shape
    mass = digit.sum()
    com_r = (digit.sum(axis=1) @ np.arange(h)) / mass if mass > 0 else (h - 1) / 2
    com_c = (digit.sum(axis=0) @ np.arange(w)) / mass if mass > 0 else (w - 1) / 2
    centre = MNIST_SIDE / 2  # where MNIST's own digits have their centre of mass (row/column index 14)
    top = int(np.clip(round(centre - com_r), 0, MNIST_SIDE - h))
    left = int(np.clip(round(centre - com_c), 0, MNIST_SIDE - w))
    field[top:top + h, left:left + w] = digit
    return field
