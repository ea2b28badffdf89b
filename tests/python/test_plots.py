"""Plots (pyrnn.plots): one run's figure has fixed margins (no layout pass:
a sweep writes one per trial), so nothing of it may fall outside the image."""

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from pyrnn.plots import history_figure


@pytest.mark.parametrize("validated", [True, False])
@pytest.mark.parametrize("top", [0.9, 12.5, 2500.0])  # tick labels of one to six characters
def test_one_runs_labels_and_title_stay_inside_the_image(validated, top):
    history = {"loss": list(np.linspace(top, top / 50, 100))}
    if validated:
        history.update(val_iteration=[20, 100], val_loss=[top / 2, top / 40], val_accuracy=[0.5, 0.97])
    fig = history_figure({"Stacked GRU (3 layers)": history},
                         "Stacked GRU (3 layers) on the MNIST sample: validation accuracy 96.5%")
    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # places the labels as saving does
    renderer = canvas.get_renderer()
    width, height = fig.bbox.width, fig.bbox.height
    texts = [t for ax in fig.axes for t in (ax.title, ax.xaxis.label, ax.yaxis.label) if t.get_text()]
    for ax in fig.axes:  # the tick labels drawn: those inside the axes' limits
        (x0, x1), (y0, y1) = sorted(ax.get_xlim()), sorted(ax.get_ylim())
        texts += [t for t in ax.get_xticklabels() if x0 <= t.get_position()[0] <= x1]
        texts += [t for t in ax.get_yticklabels() if y0 <= t.get_position()[1] <= y1]
    assert len(texts) > 10
    for text in texts:
        box = text.get_window_extent(renderer)
        assert box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width and box.y1 <= height, text.get_text()
