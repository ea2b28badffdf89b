"""The Grappler options pyrnn's own compiled calls run with, set per call
and never for the process.

Why: the first run of a compiled call is where TensorFlow optimises its
graph with Grappler, and on pyrnn's graphs (a recurrence unrolled step by
step, forward and backward: pyrnn.recurrence) TensorFlow's default passes
took 0.05 to 0.9 s of it per architecture: bench/setup_cost.py's
"first_run" against "first_run_tf_grappler", quoted in the README's "Speed".
In scratch runs that timed each pass added to pyrnn's set (calls with
alternating options in one process, 20 to 25 blocks of 30 steps each), two
passes showed in the steady step beyond the noise of this shared 2-core
machine (about 5%), and both cost little in the first run, so they are the
ones kept (GRAPPLER_PASSES): the remapper, without which the bidirectional
RNN's step was about 7% slower, and the dependency optimizer (it removes
the Identity and NoOp nodes and the control edges that the computation does
not need), with which the LSTM's step was 8% shorter in two runs and the
stacked GRU's 3 to 4%, its first run no longer. Constant folding,
the arithmetic and loop optimizers, common subgraph elimination, the layout
optimizer and the memory optimizer each left the step as it was or longer.

How: TensorFlow hands each call of a function the options of the calling
thread (`function_call_options` of its eager context, a ConfigProto that
becomes an attribute of the call); a function is instantiated and optimised
once per set of options (called with other options, it is optimised anew:
so every call of pyrnn's runs inside, not the first only). `pyrnn_options()` puts pyrnn's in place for the
length of one of pyrnn's calls and puts the caller's back after it, so the
user's own tf.functions, and the options the user chose for them
(tf.config.optimizer), are left as they were, and pyrnn's calls run with the
same passes whatever the user chose: the same losses either way. No public
TensorFlow API chooses Grappler per call, so this reads and writes the eager
context's FunctionCallOptions (tensorflow.python.eager.context).
tests/python/test_calloptions.py pins the passes and both sides: the caller's options are
back after train_rnn, and pyrnn's losses do not change when the user turns
Grappler off for the process.
"""

from __future__ import annotations

import contextlib

from tensorflow.core.protobuf import config_pb2, rewriter_config_pb2
from tensorflow.python.eager import context

_RewriterConfig = rewriter_config_pb2.RewriterConfig
GRAPPLER_PASSES = ("remapping", "dependency_optimization")
"""Grappler's passes (RewriterConfig toggles) that pyrnn's calls run, once
each; every other pass is off, TensorFlow's MLIR graph optimiser and model
pruning too (pruning nothing here: every node feeds the result)."""


def _rewriter() -> _RewriterConfig:
    rewriter = _RewriterConfig(meta_optimizer_iterations=_RewriterConfig.ONE, disable_tfg_optimizer=True,
                               disable_model_pruning=True, memory_optimization=_RewriterConfig.NO_MEM_OPT)
    for field in rewriter.DESCRIPTOR.fields:
        if field.enum_type is not None and field.enum_type.name == "Toggle":
            setattr(rewriter, field.name, _RewriterConfig.ON if field.name in GRAPPLER_PASSES else _RewriterConfig.OFF)
    return rewriter


_configs: dict = {}  # the caller's ConfigProto (serialized) -> the same with pyrnn's Grappler options


def _ours(theirs: bytes) -> config_pb2.ConfigProto:
    if theirs not in _configs:
        config = config_pb2.ConfigProto.FromString(theirs)
        config.graph_options.rewrite_options.CopyFrom(_rewriter())
        _configs[theirs] = config
    return _configs[theirs]


@contextlib.contextmanager
def pyrnn_options():
    """Run the calls made inside with pyrnn's Grappler options (on this
    thread); the caller's options are back on leaving."""
    eager = context.context()
    theirs = eager.function_call_options
    eager.function_call_options = context.FunctionCallOptions(executor_type=theirs.executor_type,
                                                              config_proto=_ours(theirs.config_proto_serialized))
    try:
        yield
    finally:
        eager.function_call_options = theirs
