"""pyrnn's compiled calls run with pyrnn's own Grappler options, set per call
(pyrnn.calloptions): the options the user chose for the process change
neither pyrnn's losses nor are they changed by pyrnn's calls."""

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.protobuf import config_pb2, rewriter_config_pb2
from tensorflow.python.eager import context

from pyrnn import compiled, predict_rnn, stacked_rnn, train_rnn
from pyrnn.calloptions import pyrnn_options


@pytest.fixture(scope="module")
def data(small16):
    return small16["x_train"][:600], small16["y_train"][:600]


def losses(data):
    compiled.forget_compiled()  # as a new process: each run compiles anew (the disk cache reads back the graph)
    model = stacked_rnn(num_layers=2, cell="gru", n_hidden=10, seed=1)
    result = train_rnn(model, *data, batch=100, iteration=12, seed=1)
    return result.loss, predict_rnn(model, data[0][:50], probabilities=True)


def thread_options():
    """The calling thread's options for function calls: (the object, Grappler turned off)."""
    options = context.context().function_call_options
    config = config_pb2.ConfigProto.FromString(options.config_proto_serialized)
    return options, config.graph_options.rewrite_options.disable_meta_optimizer


def test_the_users_grappler_options_neither_change_pyrnn_nor_are_changed_by_it(data):
    default = losses(data)
    before, _ = thread_options()
    again = losses(data)
    assert thread_options()[0] is before  # the caller's options are back after training and predicting
    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    try:
        user_off = losses(data)
        _, off = thread_options()
        assert off, "the user's choice (Grappler off) is the thread's options after pyrnn's calls"
    finally:
        tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": False})
    for run in (again, user_off):
        assert run[0] == default[0]  # the same losses, to the bit
        np.testing.assert_array_equal(run[1], default[1])


def test_pyrnns_calls_run_the_remapper_and_the_dependency_optimizer_only():
    """The passes that earned their time on pyrnn's graphs (pyrnn.calloptions' docstring): the
    remapper and the dependency optimizer on, every other pass off, in one iteration."""
    toggle = rewriter_config_pb2.RewriterConfig
    with pyrnn_options():
        config = config_pb2.ConfigProto.FromString(context.context().function_call_options.config_proto_serialized)
    rewriter = config.graph_options.rewrite_options
    toggles = {field.name: getattr(rewriter, field.name) for field in rewriter.DESCRIPTOR.fields
               if field.enum_type is not None and field.enum_type.name == "Toggle"}
    kept = {"remapping", "dependency_optimization"}
    assert kept <= toggles.keys()
    assert toggles == {name: toggle.ON if name in kept else toggle.OFF for name in toggles}
    assert rewriter.meta_optimizer_iterations == toggle.ONE and rewriter.disable_tfg_optimizer
