"""The compiled training calls: one graph per architecture, shared by models
without sharing their state, Keras' Adam to the bit, and the GPU path kept
(Keras' own cuDNN conditions). Timings are in bench/speed.py, not here."""

import importlib

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import compiled_calls

from pyrnn import BUILDERS, compiled, predict_rnn, rnn, stacked_rnn, train_rnn
from pyrnn.adam import apply_adam


@pytest.fixture(scope="module")
def data(small16):
    return small16["x_train"][:2000], small16["y_train"][:2000]


@pytest.mark.parametrize("clipnorm", [None, 0.05])
def test_apply_adam_gives_keras_adam_to_the_bit(clipnorm):
    rng = np.random.default_rng(0)
    shapes = [(16, 8), (8, 8), (8,)]
    start = [rng.normal(size=shape).astype(np.float32) for shape in shapes]
    theirs = [keras.Variable(value) for value in start]
    keras_adam = keras.optimizers.Adam(learning_rate=0.01, clipnorm=clipnorm)
    keras_adam.build(theirs)
    ours = [tf.Variable(value) for value in start]
    our_adam = keras.optimizers.Adam(learning_rate=0.01, clipnorm=clipnorm)
    our_adam.build([keras.Variable(value) for value in start])
    slots = [v.value for v in our_adam.variables]
    for _ in range(5):
        grads = [tf.constant(rng.normal(size=shape).astype(np.float32)) for shape in shapes]
        keras_adam.apply_gradients(zip(grads, theirs))
        apply_adam(ours, slots, grads, clipnorm)
    for mine, keras_weight in zip(ours, theirs):
        np.testing.assert_array_equal(mine.numpy(), keras_weight.numpy())
    for mine, keras_slot in zip(slots, keras_adam.variables):
        np.testing.assert_array_equal(mine.numpy(), np.asarray(keras_slot))


def test_a_second_model_of_an_architecture_reuses_the_graph_and_none_of_the_state(data):
    x, y = data
    compiled.forget_compiled()
    alone = train_rnn(rnn(n_hidden=12, seed=2), x, y, batch=100, iteration=15, seed=3).loss
    compiled.forget_compiled()
    first = rnn(n_hidden=12, seed=1)
    train_rnn(first, x, y, batch=100, iteration=15, seed=1)
    traced = compiled_calls("train")
    second = rnn(n_hidden=12, seed=2)
    after_first = train_rnn(second, x, y, batch=100, iteration=15, seed=3).loss
    assert compiled_calls("train") == traced == 1  # the second model ran the first one's graph
    assert after_first == alone  # and started from its own weights and a fresh Adam
    train_rnn(rnn(n_hidden=12, seed=4), x[:1500], y[:1500], batch=100, iteration=5, seed=1)
    assert compiled_calls("train") == 1  # other data, same graph
    predict_rnn(first, x[:50])
    predict_rnn(second, x[:70])
    assert compiled_calls("forward") == 1


def test_models_sharing_a_graph_keep_their_own_weights_and_adam(data):
    x, y = data
    one, two = rnn(n_hidden=12, seed=1), rnn(n_hidden=12, seed=1)
    train_rnn(one, x, y, batch=100, iteration=10, seed=1)
    before = [w.numpy().copy() for w in two.weights]
    train_rnn(one, x, y, batch=100, iteration=10, seed=2)
    for w, old in zip(two.weights, before):
        np.testing.assert_array_equal(w.numpy(), old)  # training one leaves two as it was
    again = train_rnn(two, x, y, batch=100, iteration=10, seed=1).loss
    reference = train_rnn(rnn(n_hidden=12, seed=1), x, y, batch=100, iteration=10, seed=1).loss
    assert again == reference


def test_the_cache_of_compiled_calls_is_bounded(data):
    x, y = data
    for batch in range(10, 10 + compiled.KEPT + 3):
        train_rnn(rnn(n_hidden=4, seed=1), x, y, batch=batch, iteration=1, seed=1)
    assert len(compiled.compiled_keys()) <= compiled.KEPT


@pytest.mark.parametrize("name", BUILDERS)
def test_each_recurrent_layer_meets_keras_conditions_for_cudnn(name, monkeypatch):
    """On a GPU, Keras runs a GRU or LSTM layer with cuDNN when its own checks
    pass. Here those checks run on the CPU with Keras told a GPU is present, and
    the cuDNN call itself is replaced by a recorder that hands back to Keras'
    generic loop: each GRU and LSTM layer of each builder must reach it."""
    keras_rnn = importlib.import_module("keras.src.backend.tensorflow.rnn")
    # SimpleRNN (the basic and bidirectional recipes) has no cuDNN kernel in
    # Keras; should one appear, this test must learn to check it too
    assert sorted(n for n in dir(keras_rnn) if n.startswith("_cudnn_")) == ["_cudnn_gru", "_cudnn_lstm"]
    reached = []

    def recorder(kind):
        def record(*args, **kwargs):
            reached.append(kind)
            raise NotImplementedError  # Keras then runs its generic loop
        return record

    monkeypatch.setattr(keras_rnn, "_is_gpu_available", lambda: True)
    monkeypatch.setattr(keras_rnn, "_cudnn_lstm", recorder("lstm"))
    monkeypatch.setattr(keras_rnn, "_cudnn_gru", recorder("gru"))
    models = [BUILDERS[name]()] + ([stacked_rnn(cell="lstm")] if name == "stacked" else [])
    for model in models:
        reached.clear()
        layers = _recurrent_layers(model)
        assert layers and all(type(layer) in (keras.layers.SimpleRNN, keras.layers.GRU, keras.layers.LSTM)
                              for layer in layers)
        layers = [layer for layer in layers if not isinstance(layer, keras.layers.SimpleRNN)]
        model(np.zeros((2, 16, 16), np.float32), training=True)
        assert len(reached) == len(layers), f"{model.name}: {len(reached)} of {len(layers)} layers would use cuDNN"
        for layer in layers:
            assert layer.use_cudnn in ("auto", True) and not layer.cell.recurrent_dropout


def _recurrent_layers(layer):
    if isinstance(layer, keras.layers.Bidirectional):
        return [layer.forward_layer, layer.backward_layer]
    if isinstance(layer, keras.layers.RNN):
        return [layer]
    return [inner for sub in getattr(layer, "layers", []) for inner in _recurrent_layers(sub)]


def test_compiling_ahead_leaves_the_model_alone_and_saves_the_compiling(data):
    x, y = data
    compiled.forget_compiled()
    model = stacked_rnn(num_layers=2, n_hidden=6, seed=1)
    before = [w.numpy().copy() for w in model.weights]
    compiled.compile_ahead(model, batch=100)
    for w, old in zip(model.weights, before):
        np.testing.assert_array_equal(w.numpy(), old)
    traced = compiled_calls("train"), compiled_calls("forward")
    assert traced == (1, 1)
    train_rnn(model, x, y, batch=100, iteration=5, seed=1, validation_data=(x[:200], y[:200]), validate_every=5)
    assert (compiled_calls("train"), compiled_calls("forward")) == traced
    assert compiled.optimizer_of(model).iterations.numpy() == 5  # the copy's Adam was its own
