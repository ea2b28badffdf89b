"""What the structure promises: every export resolves, and importing pyrnn,
building, training and plotting leave the process as they found it."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module_name", ["pyrnn", "pyrnn.sequences"])
def test_every_lazy_export_resolves(module_name):
    import importlib

    module = importlib.import_module(module_name)
    missing = [name for name in module.__all__ if getattr(module, name, None) is None]
    assert not missing
    with pytest.raises(AttributeError, match="has no attribute 'nothing_here'"):
        module.nothing_here  # noqa: B018


STATE = '''
import os, random, sys
import numpy as np
import tensorflow as tf
from keras.src.backend.common import global_state
from tensorflow.python.eager import context

def state():
    return {"env": dict(os.environ), "python random": random.getstate(),
            "numpy random": np.random.get_state()[1].tobytes(),
            "tf seed": context.global_seed(), "keras seed": global_state.get_global_attribute("global_random_seed"),
            "intra-op threads": tf.config.threading.get_intra_op_parallelism_threads(),
            "inter-op threads": tf.config.threading.get_inter_op_parallelism_threads(),
            "pyplot": "matplotlib.pyplot" in sys.modules}

before = state()
import pyrnn
from pyrnn.plots import plot_curves
m = pyrnn.read_data_sets("sample")
x, y = pyrnn.reduceImage(m.test.images[:200]), m.test.labels[:200]
for build in (pyrnn.rnn, pyrnn.bidirectionRNN, pyrnn.stacked_rnn, pyrnn.lstm):
    model = build(n_hidden=4, seed=7)
history = pyrnn.train_rnn(model, x, y, batch=50, iteration=3, seed=7)
pyrnn.predict_rnn(model, x)
plot_curves({"loss": history.loss}, sys.argv[1], title="t")
after = state()
changed = [key for key in before if before[key] != after[key]]
print("changed:", changed)
'''


def test_importing_building_training_and_plotting_change_no_global_state(tmp_path):
    proc = subprocess.run([sys.executable, "-c", STATE, str(tmp_path / "loss.png")], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "changed: []", proc.stdout


def test_the_same_seed_gives_the_same_weights_as_keras_global_seeding():
    import keras
    import numpy as np

    from pyrnn import bidirectionRNN, lstm, rnn, stacked_rnn

    for build in (rnn, bidirectionRNN, stacked_rnn, lstm):
        ours = [w.numpy() for w in build(n_hidden=4, seed=11).weights]
        keras.utils.set_random_seed(11)  # how pyrnn 0.1 seeded the builders
        theirs = [w.numpy() for w in build(n_hidden=4).weights]
        assert all(np.array_equal(a, b) for a, b in zip(ours, theirs)), build.__name__
