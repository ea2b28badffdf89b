"""Image reduction: 28x28 MNIST digits to the 16x16 sequences of the recipes."""

from __future__ import annotations

import numpy as np
from PIL import Image

from pyrnn.arrays import aligned_copy
from pyrnn.errors import PyrnnError

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
        raise PyrnnError(f"reduceImage needs numeric pixels (a 784-vector or an N x 784 matrix): {err}") from None
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim == 2 and not _is_square(arr.shape[1]) and arr.shape[0] == arr.shape[1]:
        arr = arr[None]
    elif arr.ndim == 2:
        side = _is_square(arr.shape[1])
        if not side:
            raise PyrnnError(f"reduceImage: rows of length {arr.shape[1]} are not square images; "
                             "expected 784 pixels per row (28x28 MNIST), or any n*n")
        arr = arr.reshape(arr.shape[0], side, side)
    if arr.ndim != 3 or arr.shape[1] != arr.shape[2]:
        raise PyrnnError(f"reduceImage: got an array of shape {np.shape(actds)}; expected a 784-vector, "
                         "an N x 784 matrix, a 28 x 28 image or an N x 28 x 28 array")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise PyrnnError(f"reduceImage: no pixels given (shape {np.shape(actds)})")
    if not np.isfinite(arr).all():
        raise PyrnnError("reduceImage: the pixels contain NaN or infinite values")
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
    values clipped to the input's range, in memory that train_rnn reads in
    place (`pyrnn.arrays.aligned_empty`).
    """
    if method not in METHODS:
        raise PyrnnError(f"reduceImage: unknown method {method!r}; choose one of {', '.join(METHODS)}")
    for name, value in (("n_pixel_x", n_pixel_x), ("n_pixel_y", n_pixel_y)):
        if int(value) != value or value < 1:
            raise PyrnnError(f"reduceImage: {name} must be a positive whole number, got {value!r}")
    n_pixel_x, n_pixel_y = int(n_pixel_x), int(n_pixel_y)
    images = _as_square_images(actds)
    side = images.shape[1]
    if method == "nearest":
        # one gather over flattened rows: no N x 784 temporary is made
        flat = nearest_pixels(side, n_pixel_x, n_pixel_y)
        return aligned_copy(images.reshape(images.shape[0], side * side)[:, flat])
    filt = PIL_FILTERS[method]
    small = np.stack([
        np.asarray(Image.fromarray(img.astype(np.float32), mode="F").resize((n_pixel_x, n_pixel_y), filt))
        for img in images
    ])
    # lanczos and bicubic overshoot: keep the output in the input's range
    small = np.clip(small, images.min(), images.max())
    return aligned_copy(small.reshape(images.shape[0], n_pixel_x * n_pixel_y))
