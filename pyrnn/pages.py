"""The page under a photographed digit, taken away before the ink is sought.

Photos of handwriting are not lit evenly: one side brighter, a shadow across
the page, dark corners (vignetting), coloured or ruled or squared paper. A
single paper grey then reads the darker half of the page, the rules, the
corners as ink. `flatten_page` removes them the way document scanners do:

1. the paper's lighting, estimated by a grey-level closing (a running maximum,
   then a running minimum, over a square far wider than a pen stroke: dark
   strokes and rules narrower than it vanish, while lighting, shadows and
   vignettes, broader than it, stay), divides the page (flat-field
   correction): paper becomes white everywhere, ink keeps its contrast;
2. rules, the long straight lines of ruled and squared paper, are found by a
   grey-level opening of the ink along rows and along columns with a segment
   most of the page long (what survives it is a line across the page) and
   taken away where a page has three or more thin ones (the long straight
   strokes of a tightly cropped digit are the digit's: a 2's foot, a 7's bar).

The morphology runs on NumPy (no SciPy): each running extreme takes log2(size)
passes (`running_max`).
"""

from __future__ import annotations

import numpy as np

_LIGHTING_WINDOW = 0.25  # the closing's square, as a share of the page's longer side: wider than a stroke
_RULE_SPAN = 0.7  # a rule runs along at least this share of the page (a tilted one may leave it early)
_RULE_INK = 0.08  # the least darkening (share of the paper's light) a rule is counted at: above JPEG noise
_RULE_WIDTH = 0.04  # a rule is at most this share of the page wide (a pen's bar across a tight crop is wider) ...
_MIN_RULES = 3  # ... and rules come in sets: up to two long straight strokes are the digit's (a 2's, a 7's bar)


def running_max(a: np.ndarray, size: int, edge: bool = False) -> np.ndarray:
    """Maximum along axis 0 of `a` over centred windows of odd `size`; same
    shape. Outside `a` counts as 0, or with edge=True as the nearest row of
    `a` (so that a running minimum, -running_max(-a), is not pulled to 0 at the
    edges). Doubling spans: log2(size) passes, not size."""
    pad = [(size // 2, size // 2)] + [(0, 0)] * (a.ndim - 1)
    m = np.pad(a, pad, mode="edge") if edge else np.pad(a, pad)
    span = 1
    while 2 * span <= size:  # m[i] = max of the padded a[i:i + span]
        m = np.maximum(m[:-span], m[span:])
        span *= 2
    return np.maximum(m[:len(a)], m[size - span:size - span + len(a)])


def _extreme(image: np.ndarray, size: int, axis: int, lowest: bool) -> np.ndarray:
    """Running maximum (or minimum) of a 2-d array along one axis over odd
    `size`, the edges repeated outside; same shape."""
    moved = np.moveaxis(image, axis, 0)
    result = -running_max(-moved, size, edge=True) if lowest else running_max(moved, size, edge=True)
    return np.moveaxis(result, 0, axis)


def _odd(x: float) -> int:
    return 2 * int(round(x / 2)) + 1


def lighting(gray: np.ndarray) -> np.ndarray:
    """The light falling on the paper (float32 h x w, > 0) of a page of dark
    ink on light paper (float32 h x w in [0, 1]): its grey-level closing by a
    square _LIGHTING_WINDOW of the longer side, the page extended past its
    edges by odd reflection."""
    size = _odd(_LIGHTING_WINDOW * max(gray.shape))
    # the light goes on past the edges as it comes to them (odd reflection): repeated, a dark corner
    # would be a valley the closing fills, and read as ink
    closed = np.pad(gray, size, mode="reflect", reflect_type="odd")
    for axis in (0, 1):
        closed = _extreme(closed, size, axis, lowest=False)
    for axis in (0, 1):
        closed = _extreme(closed, size, axis, lowest=True)
    return np.maximum(closed[size:-size, size:-size], 1.0 / 255)  # a black page has no light to divide by


def rules(ink: np.ndarray, axis: int) -> np.ndarray:
    """The rules across a page of ink (float32 h x w, 0 on paper) running
    along `axis` (1: horizontal rules, 0: vertical ones): the grey-level
    opening by a segment _RULE_SPAN of the page long, on the thin lines it
    leaves (at most _RULE_WIDTH of the page wide) where there are at least
    _MIN_RULES of them; else zeros. Same shape as `ink`."""
    size = _odd(_RULE_SPAN * ink.shape[axis])
    opened = _extreme(_extreme(ink, size, axis, lowest=True), size, axis, lowest=False)
    across = opened.max(axis=axis) > _RULE_INK  # the rows (or columns) a long line darkens
    steps = np.diff(np.concatenate([[0], across.astype(np.int8), [0]]))
    starts, ends = np.nonzero(steps == 1)[0], np.nonzero(steps == -1)[0]
    thin = ends - starts <= max(2, _RULE_WIDTH * len(across))
    if np.count_nonzero(thin) < _MIN_RULES:
        return np.zeros_like(ink)
    keep = np.zeros(len(across), dtype=bool)
    for start, end in zip(starts[thin], ends[thin]):
        keep[start:end] = True
    return opened * np.expand_dims(keep, axis)


def flatten_page(gray: np.ndarray) -> np.ndarray:
    """A page of dark ink on light paper (float32 h x w in [0, 1]) with its
    lighting, shadows, vignette, paper colour and rules taken away: float32
    h x w in [0, 1], the paper white (1), the ink as dark as it is against
    the paper around it."""
    ink = np.clip(1.0 - gray / lighting(gray), 0.0, 1.0)
    ink = np.clip(ink - rules(ink, 1) - rules(ink, 0), 0.0, 1.0)
    return (1.0 - ink).astype(np.float32)
