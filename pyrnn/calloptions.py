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
machine (about 5%), so they are the ones kept (GRAPPLER_PASSES): the
dependency optimizer (it removes the Identity and NoOp nodes and the control
edges that the computation does not need), with which the LSTM's step was
8% shorter in two runs and the stacked GRU's 3 to 4%, its first run no
longer, and the remapper, without which the bidirectional RNN's step was
about 7% slower. Constant folding,
the arithmetic and loop optimizers, common subgraph elimination, the layout
optimizer and the memory optimizer each left the step as it was or longer.

The dependency optimizer runs first (an explicit list of passes, not the
meta optimizer's order): it removed 21 to 43% of the nodes (the Identity
nodes of the inlined parts' functions among them) of the graphs as traced
with TensorFlow's gradient tape, before pyrnn.kernels formed the gradients, and the remapper's time
goes by node, about 30 us each on a 2-core Xeon (TF_CPP_VMODULE=meta_optimizer=1
prints each pass' time and node counts), while it fuses the
same products either way (the stacked GRU's and the LSTM's graphs had the
same node counts after both passes; all four recipes the same losses and
weights to the bit). The remapper runs only where it earns that time
(`remapper=` of pyrnn_options, from pyrnn.kernels' Lowered.remapper, which
asks the cells: pyrnn.recurrence's remapper_pays has the figures): on the
graphs of SimpleRNN layers, not on a GRU's, whose step it left the same while
it took 0.15 s of the stacked GRU's first run, nor on an LSTM's, whose
products hold their bias; the losses and weights were the same to the bit
without it. In bench/setup_cost.py, run in turn with commit 99f093b on a
2-core Xeon (bench/results/setup_cost_machine4_passes.json), the first run
of the stacked GRU took 0.41 and 0.48 s against 0.64 and 0.62 s, the LSTM's
0.18 and 0.17 s against 0.23 and 0.20 s; the basic and bidirectional RNNs',
which keep the remapper, moved within the noise.

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
GRAPPLER_PASSES = {"dependency_optimization": "dependency", "remapping": "remap"}
"""Grappler's passes that pyrnn's calls may run, in the order they run, once
each: RewriterConfig's toggle -> the pass' name in RewriterConfig.optimizers.
Every other pass is off, TensorFlow's MLIR graph optimiser and model pruning
too (pruning nothing here: every node feeds the result)."""


def _passes(remapper: bool = True) -> tuple:
    """The toggles of the passes pyrnn's calls run, in order."""
    return tuple(toggle for toggle in GRAPPLER_PASSES if remapper or toggle != "remapping")


def _rewriter(toggles: tuple) -> _RewriterConfig:
    rewriter = _RewriterConfig(meta_optimizer_iterations=_RewriterConfig.ONE, disable_tfg_optimizer=True,
                               disable_model_pruning=True, memory_optimization=_RewriterConfig.NO_MEM_OPT)
    for field in rewriter.DESCRIPTOR.fields:
        if field.enum_type is not None and field.enum_type.name == "Toggle":
            setattr(rewriter, field.name, _RewriterConfig.ON if field.name in toggles else _RewriterConfig.OFF)
    rewriter.optimizers.extend(GRAPPLER_PASSES[toggle] for toggle in toggles)  # this order, not Grappler's own
    return rewriter


_configs: dict = {}  # (the caller's ConfigProto (serialized), passes) -> the same with pyrnn's Grappler options


def _ours(theirs: bytes, toggles: tuple) -> config_pb2.ConfigProto:
    if (theirs, toggles) not in _configs:
        config = config_pb2.ConfigProto.FromString(theirs)
        config.graph_options.rewrite_options.CopyFrom(_rewriter(toggles))
        _configs[theirs, toggles] = config
    return _configs[theirs, toggles]


@contextlib.contextmanager
def pyrnn_options(remapper: bool = True):
    """Run the calls made inside with pyrnn's Grappler options (on this
    thread); the caller's options are back on leaving. remapper: whether the
    remapper runs too (see the module docstring)."""
    eager = context.context()
    theirs = eager.function_call_options
    eager.function_call_options = context.FunctionCallOptions(
        executor_type=theirs.executor_type, config_proto=_ours(theirs.config_proto_serialized, _passes(remapper)))
    try:
        yield
    finally:
        eager.function_call_options = theirs
