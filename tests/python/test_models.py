"""The four builders: shapes, structure, and that each one learns on real MNIST."""

import inspect

import numpy as np
import pytest

from pyrnn import bidirectionRNN, evaluate_rnn, lstm, rnn, stacked_rnn, train_rnn


@pytest.mark.parametrize("builder, kwargs", [
    (rnn, {}), (bidirectionRNN, {}), (stacked_rnn, {"num_layers": 2}), (lstm, {}),
    (rnn, {"n_hidden": 8, "n_class": 3, "step_size": 28, "n_input": 28}),
])
def test_builders_map_batches_to_logits(builder, kwargs):
    model = builder(seed=0, **kwargs)
    step_size, n_input = kwargs.get("step_size", 16), kwargs.get("n_input", 16)
    logits = model(np.zeros((7, step_size, n_input), np.float32))
    assert tuple(logits.shape) == (7, kwargs.get("n_class", 10))
    assert model.input_shape == (None, step_size, n_input)


def _weights(model, layer_name):
    return [w for w in model.weights if layer_name in w.path]


def test_stacked_layers_have_distinct_weights():
    model = stacked_rnn(num_layers=3, cell="gru", n_hidden=16, seed=0)
    kernels = [w for w in model.weights if w.path.endswith("/kernel") and "gru" in w.path]
    assert len(kernels) == 3
    assert kernels[0].shape == (16, 48) and kernels[1].shape == (16, 48)  # input 16 -> 3 gates x 16 units
    assert not np.allclose(kernels[1].numpy(), kernels[2].numpy())
    assert len({w.path for w in model.weights}) == len(model.weights)


def test_bidirectional_has_a_forward_and_a_backward_rnn():
    model = bidirectionRNN(n_hidden=16, seed=0)
    kernels = [w for w in model.weights if w.path.endswith("recurrent_kernel")]
    assert len(kernels) == 2
    # the output layer sees both last outputs, 2 x n_hidden
    assert [w for w in model.weights if w.path.startswith("output")][0].shape == (32, 10)


PIXEL_LAYERS = ("basic_rnn/", "bidirectional_rnn/", "stack/gru_1/", "lstm/")


def _split_weights(model):
    """(input kernels of the layers that read the pixels, every other weight)."""
    pixel, others = [], []
    for w in model.weights:
        is_pixel_kernel = w.path.endswith("cell/kernel") and w.path.startswith(PIXEL_LAYERS)
        (pixel if is_pixel_kernel else others).append(w.numpy())
    return pixel, others


@pytest.mark.parametrize("builder, default", [(rnn, 1.0), (bidirectionRNN, 3.0), (stacked_rnn, 3.0), (lstm, 3.0)],
                         ids=["basic", "bidirectional", "stacked", "lstm"])
def test_input_gain_scales_the_pixel_layers_initial_input_weights(builder, default):
    assert inspect.signature(builder).parameters["input_gain"].default == default
    (plain, plain_others), (scaled, scaled_others) = (_split_weights(builder(n_hidden=24, input_gain=gain, seed=4))
                                                      for gain in (1.0, 3.0))
    assert len(plain) == (2 if builder is bidirectionRNN else 1)  # forward and backward
    for before, after in zip(plain, scaled):
        assert before.shape[0] == 16  # reads a row of 16 pixels
        np.testing.assert_allclose(after, 3.0 * before, atol=1e-6)
        fan_avg = (before.shape[0] + before.shape[1]) / 2
        assert np.abs(before).max() <= np.sqrt(3.0 / fan_avg)  # Keras' Glorot-uniform bound at gain 1
    # every other weight (recurrent, bias, upper layers, output) is drawn as before
    assert len(plain_others) == len(scaled_others) >= 4
    assert all(np.array_equal(a, b) for a, b in zip(plain_others, scaled_others))


@pytest.mark.parametrize("gain", [0, -1.0, float("nan"), float("inf"), "3", True])
@pytest.mark.parametrize("builder", [rnn, bidirectionRNN, stacked_rnn, lstm])
def test_input_gain_is_checked(builder, gain):
    with pytest.raises(ValueError, match="input_gain must be a finite number > 0"):
        builder(input_gain=gain)


def test_lstm_forget_bias_on_the_forget_gate_only():
    model = lstm(n_hidden=4, forget_bias=2.5, seed=0)
    bias = [w for w in model.weights if w.path.endswith("lstm_cell/bias") or w.path.endswith("lstm/bias")][0].numpy()
    np.testing.assert_array_equal(bias, np.r_[np.zeros(4), np.full(4, 2.5), np.zeros(8)])


@pytest.mark.parametrize("bad", [{"n_hidden": 0}, {"n_hidden": 2.5}, {"n_class": -1}])
def test_builder_sizes_are_checked(bad):
    with pytest.raises(ValueError, match="must be a positive whole number"):
        rnn(**bad)


def test_unknown_stacked_cell():
    with pytest.raises(ValueError, match="unknown cell 'rnn'.*basic, gru, lstm"):
        stacked_rnn(cell="rnn")


@pytest.mark.parametrize("builder", [rnn, bidirectionRNN, lambda seed: stacked_rnn(num_layers=2, seed=seed), lstm],
                         ids=["basic", "bidirectional", "stacked", "lstm"])
def test_each_builder_learns_on_real_mnist(builder, small16):
    model = builder(seed=1)
    history = train_rnn(model, small16["x_train"], small16["y_train"], batch=200, iteration=40, seed=1)
    result = evaluate_rnn(model, small16["x_test"], small16["y_test"])
    assert np.mean(history.loss[-5:]) < np.mean(history.loss[:5]) - 0.8
    assert result["accuracy"] > 0.5, result  # chance is 0.1
