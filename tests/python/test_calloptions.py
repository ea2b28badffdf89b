"""pyrnn's compiled calls run with pyrnn's own Grappler options, set per call
(pyrnn.calloptions): the options the user chose for the process change
neither pyrnn's losses nor are they changed by pyrnn's calls."""

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.protobuf import config_pb2, rewriter_config_pb2
from tensorflow.python.eager import context

from pyrnn import compiled, lstm, predict_rnn, rnn, stacked_rnn, train_rnn
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


@pytest.mark.parametrize("remapper", [True, False])
def test_pyrnns_calls_run_the_dependency_optimizer_then_the_remapper_only(remapper):
    """The passes that earned their time on pyrnn's graphs (pyrnn.calloptions' docstring): the
    dependency optimizer, then the remapper where asked for, every other pass off, in one iteration."""
    toggle = rewriter_config_pb2.RewriterConfig
    with pyrnn_options(remapper=remapper):
        config = config_pb2.ConfigProto.FromString(context.context().function_call_options.config_proto_serialized)
    rewriter = config.graph_options.rewrite_options
    toggles = {field.name: getattr(rewriter, field.name) for field in rewriter.DESCRIPTOR.fields
               if field.enum_type is not None and field.enum_type.name == "Toggle"}
    kept = {"remapping", "dependency_optimization"} if remapper else {"dependency_optimization"}
    assert kept <= toggles.keys()
    assert toggles == {name: toggle.ON if name in kept else toggle.OFF for name in toggles}
    assert list(rewriter.optimizers) == (["dependency", "remap"] if remapper else ["dependency"])
    assert rewriter.meta_optimizer_iterations == toggle.ONE and rewriter.disable_tfg_optimizer


def test_the_remapper_runs_where_the_cells_ask_for_it_only(data):
    """The training graph TensorFlow ran (after Grappler, as run metadata records it) holds a
    product fused with its bias for a basic RNN, whose cell asks for the remapper, and none for
    a GRU stack or an LSTM, whose cells do not (pyrnn.recurrence's remapper_pays): the remapper
    ran for the first only."""
    x, y = data
    fused = {}
    for name, build in (("basic", rnn), ("stacked GRU", lambda **kw: stacked_rnn(num_layers=2, cell="gru", **kw)),
                        ("LSTM", lstm)):
        compiled.forget_compiled()
        eager = context.context()
        eager.enable_run_metadata()
        try:
            train_rnn(build(n_hidden=8, seed=1), x, y, batch=100, iteration=2, seed=1)
            metadata = eager.export_run_metadata()
        finally:
            eager.disable_run_metadata()
        ops = max(([node.op for graph in function.partition_graphs for node in graph.node]
                   for function in metadata.function_graphs), key=len)  # the training call's graph
        fused[name] = any("FusedMatMul" in op for op in ops)
    assert fused == {"basic": True, "stacked GRU": False, "LSTM": False}
