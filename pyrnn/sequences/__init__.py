"""The sequence experiments of the RNN tutorials, one module each:

- echo: the echo task ("roll game") with TensorFlow-style truncated backpropagation;
- dependency: the binary-dependency task and its three known cross-entropies;
- rows28: MNIST read row by row (28 steps of 28 pixels), basic RNN vs LSTM,
  gradient norms per time step.

`from pyrnn.sequences import train_echo` etc. work; each module (and
TensorFlow) is imported on first use.
"""

from importlib import import_module

# name -> module, imported on first access (PEP 562)
_LAZY = {
    "echo_data": "pyrnn.sequences.echo", "train_echo": "pyrnn.sequences.echo", "EchoResult": "pyrnn.sequences.echo",
    "dependency_data": "pyrnn.sequences.dependency", "expected_cross_entropy": "pyrnn.sequences.dependency",
    "train_dependency": "pyrnn.sequences.dependency", "DependencyResult": "pyrnn.sequences.dependency",
    "train_rows28": "pyrnn.sequences.rows28", "gradient_norms_by_step": "pyrnn.sequences.rows28",
    "saturation_fraction": "pyrnn.sequences.rows28", "recurrent_norm": "pyrnn.sequences.rows28",
    "plot_gradient_norms": "pyrnn.sequences.rows28", "Rows28Result": "pyrnn.sequences.rows28",
}

__all__ = list(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'pyrnn.sequences' has no attribute {name!r}")
