"""The CPU kernels compute what the Keras models compute, gradients included."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from pyrnn import bidirectionRNN, kernels, lstm, rnn, stacked_rnn

BUILDERS = {
    "basic": lambda: rnn(n_hidden=12, seed=0),
    "bidirectional": lambda: bidirectionRNN(n_hidden=12, seed=0),
    "stacked_gru": lambda: stacked_rnn(num_layers=2, cell="gru", n_hidden=12, seed=0),
    "stacked_lstm": lambda: stacked_rnn(num_layers=2, cell="lstm", n_hidden=12, seed=0),
    "lstm": lambda: lstm(n_hidden=12, seed=0),
}


def _keras_loss_and_grads(model, x, y):
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    return float(loss), [g.numpy() for g in tape.gradient(loss, model.trainable_variables)]


def _assert_kernels_match_keras(model, x, y, parts):
    lowered = kernels.lower(model, parts=parts)
    x_time_major = tf.transpose(x, [1, 0, 2])
    loss, grads = lowered.loss_and_gradients(model.trainable_variables, x_time_major, y)
    keras_loss, keras_grads = _keras_loss_and_grads(model, x, y)
    assert float(loss) == pytest.approx(keras_loss, rel=1e-5)
    assert len(grads) == len(keras_grads)
    for ours, theirs in zip(grads, keras_grads):
        np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-4, atol=1e-6)
    logits = lowered.logits(model.trainable_variables, x_time_major)
    np.testing.assert_allclose(logits.numpy(), model(x).numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", BUILDERS)
def test_kernels_match_keras_autodiff(name):
    rng = np.random.default_rng(1)
    x = rng.uniform(size=(8, 16, 16)).astype(np.float32)
    y = rng.integers(0, 10, size=8).astype(np.int32)
    _assert_kernels_match_keras(BUILDERS[name](), x, y, parts=2)


HAND_BUILT = {  # what the builders do not make, but the kernels run
    "bidirectional_sequences": lambda: [keras.layers.Bidirectional(keras.layers.GRU(6, return_sequences=True)),
                                        keras.layers.LSTM(5)],
    "go_backwards": lambda: [keras.layers.SimpleRNN(6, go_backwards=True)],
    "dense_between_recurrences": lambda: [keras.layers.LSTM(6, return_sequences=True), keras.layers.Dense(4),
                                          keras.layers.GRU(5, go_backwards=True)],
    "one_step": lambda: [keras.layers.GRU(6)],
}


@pytest.mark.parametrize("name", HAND_BUILT)
def test_the_hand_written_backward_passes_match_keras_autodiff_on_hand_built_models(name):
    """The backward passes chained by hand (kernels._run, _chain) against Keras' autodiff, on models
    the recipes do not build, the batch of 9 rows cut into uneven parts."""
    steps = 1 if name == "one_step" else 5
    model = keras.Sequential([keras.Input((steps, 4)), *HAND_BUILT[name](), keras.layers.Dense(3)])
    rng = np.random.default_rng(2)
    x = rng.uniform(size=(9, steps, 4)).astype(np.float32)
    y = rng.integers(0, 3, size=9).astype(np.int32)
    _assert_kernels_match_keras(model, x, y, parts=2)


def test_the_parts_shared_function_holds_no_stateful_op():
    """kernels._in_parts traces it without automatic control dependencies, which would otherwise
    keep stateful ops in their order and make sure they run: it must hold none."""
    from tensorflow.python.framework import op_def_registry

    model = BUILDERS["lstm"]()
    low = kernels.lower(model, parts=2)
    traced = tf.function(lambda x, y: low.loss_and_gradients([w.value for w in model.trainable_variables], x, y))
    graph = traced.get_concrete_function(tf.TensorSpec([16, 8, 16]), tf.TensorSpec([8], tf.int32)).graph
    functions = graph.as_graph_def().library.function
    assert functions, "the parts should call a function of their own"
    for function in functions:
        stateful = {node.op for node in function.node_def if op_def_registry.get(node.op).is_stateful}
        assert not stateful, f"{function.signature.name} holds stateful ops {stateful}"


def test_a_bidirectional_model_counts_its_directions_as_parts():
    """Each core runs one independent recurrence: the two directions of a bidirectional layer are two,
    so its batch is cut into half as many parts as a one-way model's (on 2 cores: one, not two)."""
    from pyrnn.compiled import lowered

    one_way = kernels.parallel_parts(500, BUILDERS["lstm"]())
    assert kernels.parallel_parts(500, BUILDERS["stacked_gru"]()) == one_way
    assert kernels.parallel_parts(500, BUILDERS["bidirectional"]()) == max(1, one_way // 2)
    assert kernels.parallel_parts(40, BUILDERS["lstm"]()) == 1  # parts of at least 32 rows
    model = BUILDERS["bidirectional"]()
    assert lowered(model, 500, "auto").key[1] == max(1, one_way // 2)


def test_the_remapper_is_asked_for_where_a_cell_says_it_pays():
    """Lowered.remapper tells pyrnn.calloptions whether Grappler's remapper runs on the graphs:
    where a recurrence's cell says it pays (pyrnn.recurrence's remapper_pays: SimpleRNN, not GRU
    or LSTM), a stack or a bidirectional layer asking for each of its recurrences."""
    remapper = {name: kernels.lower(build()).remapper for name, build in BUILDERS.items()}
    assert remapper == {"basic": True, "bidirectional": True, "stacked_gru": False, "stacked_lstm": False,
                        "lstm": False}
    for layers, pays in (([keras.layers.LSTM(6, return_sequences=True), keras.layers.GRU(6)], False),
                         ([keras.layers.GRU(6, return_sequences=True), keras.layers.SimpleRNN(6)], True)):
        model = keras.Sequential([keras.Input((16, 16)), *layers, keras.layers.Dense(10)])
        assert kernels.lower(model).remapper is pays


def conv_model():
    inputs = keras.Input((16, 16))
    hidden = keras.layers.Conv1D(4, 3)(inputs)
    return keras.Model(inputs, keras.layers.Dense(10)(keras.layers.Flatten()(hidden)))


def test_a_layer_the_kernels_do_not_cover_is_named():
    with pytest.raises(kernels.NotLowered, match="do not cover the layer.*conv1d"):
        kernels.lower(conv_model())


def test_a_model_the_kernels_would_compute_differently_is_not_lowered():
    """The probe runs the model's own graph: a layer applied twice (the kernels chain each layer once)
    and a direction read the wrong way round are caught on its short probe sequence."""
    inputs = keras.Input((16, 16))
    twice = keras.layers.GRU(16, return_sequences=True)
    model = keras.Model(inputs, keras.layers.Dense(10)(keras.layers.GRU(8)(twice(twice(inputs)))))
    with pytest.raises(kernels.NotLowered, match="disagree"):
        kernels.lower(model)

    model = BUILDERS["bidirectional"]()
    bidirectional, output = kernels._plans(model)[1]
    kind, forward, backward = bidirectional
    assert backward[3] is True  # the backward direction reads the steps last to first
    read_forward = (kind, forward, (*backward[:3], False, backward[4]))
    with pytest.raises(kernels.NotLowered, match="disagree"):
        kernels._probe(model, kernels._chain([kernels._run(read_forward), kernels._run(output)]))
    kernels._probe(model, kernels._chain([kernels._run(bidirectional), kernels._run(output)]))


def test_a_frozen_layer_trains_through_keras_and_stays_as_it_was(small16):
    """The kernels train every weight they run: a model with a frozen layer (weights outside its
    trainable variables) is not lowered, and train_rnn's Keras path leaves that layer's weights alone."""
    from pyrnn import PyrnnError, train_rnn

    x, y = small16["x_train"][:200], small16["y_train"][:200]
    model = lstm(n_hidden=8, seed=1)
    frozen = model.get_layer("lstm")
    frozen.trainable = False
    with pytest.raises(kernels.NotLowered, match="do not cover the layer.*lstm.*all trainable"):
        kernels.lower(model)
    with pytest.raises(PyrnnError, match="backend='kernels' cannot run"):
        train_rnn(model, x, y, batch=50, iteration=1, backend="kernels")
    before = [w.numpy() for w in frozen.weights]
    dense_before = [w.numpy() for w in model.trainable_variables]
    assert len(train_rnn(model, x, y, batch=50, iteration=3, seed=1).loss) == 3
    for w, was in zip(frozen.weights, before):
        np.testing.assert_array_equal(w.numpy(), was)
    assert all(np.any(w.numpy() != was) for w, was in zip(model.trainable_variables, dense_before))


def test_the_backend_switch(small16, caplog):
    from pyrnn import PyrnnError, evaluate_rnn, predict_rnn, rnn, train_rnn

    x, y = small16["x_train"][:200], small16["y_train"][:200]
    model = rnn(n_hidden=8, seed=1)
    np.testing.assert_allclose(predict_rnn(model, x, probabilities=True, backend="kernels"),
                               predict_rnn(model, x, probabilities=True, backend="keras"), rtol=1e-4, atol=1e-5)
    losses = {backend: train_rnn(rnn(n_hidden=8, seed=1), x, y, batch=50, iteration=5, seed=1,
                                 backend=backend).loss for backend in ("kernels", "keras")}
    np.testing.assert_allclose(losses["kernels"], losses["keras"], rtol=1e-4)

    conv = conv_model()
    with pytest.raises(PyrnnError, match="backend='kernels' cannot run .*conv1d"):
        train_rnn(conv, x, y, batch=50, iteration=1, backend="kernels")
    with caplog.at_level("WARNING", logger="pyrnn"):
        assert evaluate_rnn(conv, x, y)["n"] == 200
    assert "runs through Keras, not pyrnn's CPU kernels" in caplog.text and "conv1d" in caplog.text
    for call in (lambda: train_rnn(model, x, y, batch=50, backend="gpu"), lambda: predict_rnn(model, x, backend="")):
        with pytest.raises(PyrnnError, match="unknown backend"):
            call()
