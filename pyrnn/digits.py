"""A user's own picture of a digit, turned into an MNIST-style 28 x 28 digit.

Photos and scans are not MNIST: the paper has a border, specks, a pen far
thinner than MNIST's strokes relative to the page, uneven light, rules. `load_digit`
takes the page's lighting and rules away (pyrnn.pages), tells paper
from ink by the grey near the edges, less any frame there, finds the
digit's strokes (connected components, less frames along the edges and specks
away from the digit), thickens a fine pen to MNIST's stroke width, and places
the digit as MNIST does: in a 20 x 20 box, centred by centre of mass in 28 x 28.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from pyrnn.errors import MissingFileError, PyrnnError
from pyrnn.pages import flatten_page, running_max


MNIST_SIDE = 28
MNIST_BOX = 20  # MNIST digits fit a 20x20 box, centred by centre of mass in 28x28
_INK_THRESHOLD = 0.2  # share of full contrast that counts as ink
_EDGE_BAND = 0.1  # the background is the median grey within this share of the shorter side from the edges ...
_LAYER_DEPTH = 0.25  # ... less the frames within this share of each side from its edge: uniform lines
_UNIFORM_SHARE = 0.9  # (rows or columns with this share of their pixels ...
_UNIFORM_GREY = 0.2  # ... within this of the line's median) at a level this far from the paper's inside them
_WORK_SIDE = 512  # bigger images are pooled to about this side first, so a photo costs little more than a scan
# thinner strokes are thickened to this width in pixels of the 20-pixel box; as _stroke_width measures
# MNIST's test digits (drawn 10 times as big), 20% of them are thinner, the median is 2.3
_MIN_STROKE = 2.0
_STROKE_SHARE = 0.15  # a component with this share of the largest one's pixels is part of the digit anywhere ...
_NEAR = 0.1  # ... a smaller one only within this share of the digit's size from those: further out a speck
_FRAME_BAND = 0.15  # a frame or a line along the edges stays within this share of the shorter side from them ...
_FRAME_SPAN = 0.9  # ... and runs along this share of a side
_DIGIT_EXTENT = 0.1  # ink at least this share of the image across can be a digit; smaller is a speck


def load_digit(path) -> np.ndarray:
    """Read a PNG or JPEG of one handwritten digit, of any size, into the MNIST
    convention: float32 28 x 28 in [0, 1], light digit on a dark background.

    Dark-on-light and light-on-dark images both work (the background is the
    median grey near the edges, inside any frame along them, however thick).
    On dark-on-light pages, uneven lighting, shadows, dark corners, coloured
    paper and the rules of ruled or squared paper are taken away first
    (`pyrnn.pages.flatten_page`).
    Frames and lines along the edges, and specks away from the digit, are left out; strokes too thin to survive the
    shrinking (a fine pen on a big canvas) are thickened to MNIST's width. Like MNIST, the digit is cropped, scaled to
    fit a 20 x 20 box keeping its aspect ratio, and placed so that its centre
    of mass is the centre of the 28 x 28 field.
    Raises FileNotFoundError for a missing file, ValueError (naming the file)
    for a file that is not an image or holds no digit.
    """
    ink = _ink(_read_gray(path), path)
    strokes = _digit_strokes(ink > _INK_THRESHOLD)
    rows, cols = np.nonzero(strokes)
    box = (slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1))
    # the strokes keep their soft edges (a pixel around them); specks and frames go
    digit = np.where(_dilate(strokes, 3), ink, 0.0)[box]
    return _centre_by_mass(_fit_box(digit, strokes[box]))


def _ink(gray: np.ndarray, path) -> np.ndarray:
    """Ink (float32 h x w in [0, 1], light on dark, 1 at full contrast) of a
    grayscale image (float32 H x W in [0, 1]), pooled over blocks so that no
    side exceeds about _WORK_SIDE."""
    step = -(-max(gray.shape) // _WORK_SIDE)
    dark_on_light = _paper(gray[::step, ::step]) > 0.5
    if step > 1:
        # 2 x 2 means first halve the noise (a 1-pixel stroke keeps a quarter of its contrast) ...
        gray = _pool(gray, 2, np.mean, 1.0 if dark_on_light else 0.0)
        # ... then the ink's extreme over blocks: a stroke thinner than a block stays whole
        gray = _pool(gray, -(-step // 2), np.min if dark_on_light else np.max, 1.0 if dark_on_light else 0.0)
    if dark_on_light:  # a photographed page: its lighting, shadows and rules go before the ink is sought
        gray = flatten_page(gray)
    # taken after pooling, which darkens noisy paper too (light paper under min pooling)
    background = _paper(gray)
    if dark_on_light:  # dark digit on light paper: turn it into MNIST's light on dark
        gray, background = 1.0 - gray, 1.0 - background
    contrast = float(gray.max()) - background
    if contrast < 0.1:
        raise PyrnnError(f"{path}: no digit found (the image is almost uniform); "
                         "give a picture of one digit, dark on light or light on dark")
    return np.clip((gray - background) / contrast, 0.0, 1.0).astype(np.float32)


def _pool(gray: np.ndarray, step: int, reduce, paper: float) -> np.ndarray:
    """`reduce` (np.mean, np.min or np.max) over step x step blocks of a 2-d
    float32 array, the last blocks padded with `paper`: float32 ceil(h / step)
    x ceil(w / step)."""
    h, w = -(-gray.shape[0] // step), -(-gray.shape[1] // step)
    padded = np.full((h * step, w * step), paper, dtype=np.float32)
    padded[:gray.shape[0], :gray.shape[1]] = gray
    # rows of blocks first, then columns: 4 times faster than one reduction over both block axes
    return reduce(reduce(padded.reshape(h, step, w * step), axis=1).reshape(h, w, step), axis=2)


def _paper(gray: np.ndarray) -> float:
    """The paper's grey in a 2-d image (float32 in [0, 1]): the median of the
    band along its edges (_edge_band), taken inside any frame. A frame thicker
    than the band would fill it and swap ink and paper; it shows as uniform
    lines along an edge, the paper as uniform lines of another grey inside it."""
    h, w = gray.shape
    depth = int(_LAYER_DEPTH * min(h, w))
    if depth == 0:  # under 4 pixels across: no room for a frame
        return float(np.median(_edge_band(gray)))
    # each line is judged on its middle, clear of the frames along the sides across it
    rows, cols = gray[:, depth:w - depth], gray[depth:h - depth].T
    top, bottom = _frame_depth(rows[:depth]), _frame_depth(rows[::-1][:depth])
    left, right = _frame_depth(cols[:depth]), _frame_depth(cols[::-1][:depth])
    return float(np.median(_edge_band(gray[top:h - bottom, left:w - right])))


def _frame_depth(lines: np.ndarray) -> int:
    """How many of `lines` (k x n: the middles of rows or columns of an image,
    the edge's first) a frame along that edge takes: the lines before the
    innermost layer of uniform lines (each a run of lines of about one grey),
    counting only layers before the first line that is not uniform (the digit, or paper that
    is not even). 0 when the uniform lines there are all of one grey: paper."""
    level = np.median(lines, axis=1)
    uniform = (np.abs(lines - level[:, None]) <= _UNIFORM_GREY).mean(axis=1) >= _UNIFORM_SHARE
    start = 0
    for i in range(1, int(np.argmin(uniform)) if not uniform.all() else len(lines)):
        if abs(level[i] - level[start]) > _UNIFORM_GREY:
            start = i  # a new layer: what lay outside it was a frame (or its blurred edge)
    return start if uniform[0] else 0


def _edge_band(gray: np.ndarray) -> np.ndarray:
    """The pixels (1-d) of a 2-d image within _EDGE_BAND of its shorter side
    from the edges: mostly background even where a frame runs along the edges
    or a digit cropped tight touches them."""
    d = max(1, round(_EDGE_BAND * min(gray.shape)))
    return np.concatenate([gray[:d].ravel(), gray[-d:].ravel(), gray[d:-d, :d].ravel(), gray[d:-d, -d:].ravel()])


def _digit_strokes(mask: np.ndarray) -> np.ndarray:
    """The digit's part (bool h x w) of an ink mask (bool h x w): its connected
    components less frames and lines along the edges, and less specks away from
    the big components (a digit may have several strokes: 5, 7, broken lines)."""
    h, w = mask.shape
    rows, starts, ends = _runs(mask)
    label = _label_runs(rows, starts, ends, w)
    n = int(label.max()) + 1
    size = np.bincount(label, weights=ends - starts, minlength=n)
    top, left = np.full(n, h), np.full(n, w)
    bottom, right = np.zeros(n, int), np.zeros(n, int)
    np.minimum.at(top, label, rows)
    np.maximum.at(bottom, label, rows)
    np.minimum.at(left, label, starts)
    np.maximum.at(right, label, ends - 1)
    # how far each component gets from the edges: in a run, farthest is the pixel nearest the middle column
    middle = np.clip((w - 1) // 2, starts, ends - 1)
    run_depth = np.minimum(np.minimum(rows, h - 1 - rows), np.minimum(middle, w - 1 - middle))
    depth = np.zeros(n, int)
    np.maximum.at(depth, label, run_depth)
    frame = (depth < _FRAME_BAND * min(h, w)) & ((right - left + 1 >= _FRAME_SPAN * w)
                                                 | (bottom - top + 1 >= _FRAME_SPAN * h))
    extent = np.maximum(bottom - top, right - left) + 1
    # frames go if something else could be the digit; if not, the frame is the digit, cropped tight (a 7)
    if (extent[~frame] >= _DIGIT_EXTENT * max(h, w)).any():
        size[frame] = 0
    big = size >= _STROKE_SHARE * size.max()
    t, b, l, r = top[big].min(), bottom[big].max(), left[big].min(), right[big].max()
    margin = _NEAR * max(b - t + 1, r - l + 1)
    near = (top <= b + margin) & (bottom >= t - margin) & (left <= r + margin) & (right >= l - margin)
    keep = ((size > 0) & (big | near))[label]
    return _paint(mask.shape, rows[keep], starts[keep], ends[keep])


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The horizontal runs of True in a bool mask (h x w), in row-major order:
    int64 arrays [n] of row, start column and end column (exclusive)."""
    steps = np.diff(np.pad(mask, ((0, 0), (1, 1))).view(np.int8), axis=1)
    rows, starts = np.nonzero(steps == 1)
    return rows, starts, np.nonzero(steps == -1)[1]


def _label_runs(rows: np.ndarray, starts: np.ndarray, ends: np.ndarray, width: int) -> np.ndarray:
    """Connected-component label (int64 [n], 0 ... k-1) of each of n runs from
    _runs on a mask `width` wide; runs in adjacent rows that touch, diagonally
    too, are connected. Vectorised union-find: hook roots, then compress."""
    stride = width + 1
    start_keys, end_keys, next_row = rows * stride + starts, rows * stride + ends, (rows + 1) * stride
    # the runs of the next row touching a run are consecutive: from the first ending at or after
    # its start to the last starting at or before its end
    first = np.searchsorted(end_keys, next_row + starts)
    count = np.maximum(np.searchsorted(start_keys, next_row + ends, side="right") - first, 0)
    a = np.repeat(np.arange(rows.size), count)
    b = np.repeat(first - np.cumsum(count) + count, count) + np.arange(count.sum())
    root = np.arange(rows.size)
    while True:
        ra, rb = root[a], root[b]
        differ = ra != rb
        if not differ.any():
            return np.unique(root, return_inverse=True)[1]
        np.minimum.at(root, np.maximum(ra, rb)[differ], np.minimum(ra, rb)[differ])
        while not np.array_equal(up := root[root], root):  # point every run straight at its root again
            root = up


def _paint(shape: tuple[int, int], rows: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Bool mask of `shape` (h x w), True on the given runs (as from _runs)."""
    steps = np.zeros((shape[0], shape[1] + 1), dtype=np.int8)
    steps[rows, starts] = 1
    steps[rows, ends] = -1
    return np.cumsum(steps, axis=1, dtype=np.int8)[:, :-1] > 0


def _stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width in pixels of the strokes in a bool mask (h x w): twice
    the area over the outline's length (2wL / 2L for a stroke w wide and L
    long). The outline counts pixel edges, so slanted strokes come out up to
    sqrt(2) thinner, on MNIST as on the user's image."""
    m = np.pad(mask, 1)
    outline = np.count_nonzero(m[1:] != m[:-1]) + np.count_nonzero(m[:, 1:] != m[:, :-1])
    return 2.0 * np.count_nonzero(mask) / outline


def _fit_box(digit: np.ndarray, strokes: np.ndarray) -> np.ndarray:
    """Scale a cropped digit (float32 h x w in [0, 1]; `strokes` its bool ink
    mask) to fit the 20 x 20 box keeping its aspect ratio: float32, at most
    20 x 20, peak 1. Strokes that would come out thinner than MNIST's (a fine
    pen on a big canvas fades to nothing) are thickened first."""
    side, width = max(digit.shape), _stroke_width(strokes)
    # widening by x pixels also widens the box by x: solve (width + x) * 20 / (side + x) = _MIN_STROKE
    pad = round((_MIN_STROKE * side / MNIST_BOX - width) / (1 - _MIN_STROKE / MNIST_BOX) / 2)
    if pad > 0:
        digit = _dilate_round(np.pad(digit, pad), 2 * pad)
    scale = MNIST_BOX / max(digit.shape)
    size = (max(1, round(digit.shape[1] * scale)), max(1, round(digit.shape[0] * scale)))
    digit = np.clip(np.asarray(Image.fromarray(digit.astype(np.float32), mode="F")
                               .resize(size, Image.Resampling.LANCZOS)), 0.0, 1.0)
    return digit / digit.max()


def _dilate(image: np.ndarray, size: int) -> np.ndarray:
    """Each pixel of a 2-d array (float or bool) becomes the maximum over the
    size x size square around it (size odd; outside counts as 0); same shape."""
    for axis in (0, 1):
        image = np.moveaxis(running_max(np.moveaxis(image, axis, 0), size), 0, axis)
    return image


def _dilate_round(image: np.ndarray, grow: int) -> np.ndarray:
    """Widen the strokes of a 2-d array (float or bool) by `grow` pixels, by
    the same in every direction: dilation by an octagon (a square, then a
    segment along each diagonal), where a square would widen slanted strokes
    by 1.4 times more. Same shape."""
    side = grow / (1 + np.sqrt(2))  # the square's side; each diagonal segment has side / sqrt(2) steps
    image = _dilate(image, 2 * round(side / 2) + 1)
    h, w = image.shape
    r, c = np.indices((h, w))
    for diagonal in (r - c + w - 1, r + c):  # shear each diagonal into a row, where running_max can run
        sheared = np.zeros((h + w - 1, w), dtype=image.dtype)
        sheared[diagonal, c] = image
        image = running_max(sheared.T, 2 * round(side / np.sqrt(2) / 2) + 1).T[diagonal, c]
    return image


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
        raise MissingFileError(f"{path}: no such image file") from None
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError) as err:
        raise PyrnnError(f"{path}: cannot be read as an image ({err}); give a PNG or JPEG of one digit") from None


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
