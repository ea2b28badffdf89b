"""Recipe: the basic RNN cell by hand, beside the library's.

A worked example (2 inputs, 2 hidden units, tanh, 3 time steps) with every
intermediate value, then the same cell four ways on random data: NumPy, plain
TF ops unrolled in Python (static) or in tf.scan (dynamic), and Keras'
SimpleRNN holding the same weights (W split into kernel and recurrent_kernel).

Run: python recipes/python/cell.py [--batch 4 --steps 6]
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from pyrnn.cells import cell_forward, format_worked_example  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=4, help="sequences in the random batch")
    parser.add_argument("--steps", type=int, default=6, help="time steps")
    args = parser.parse_args()

    print(format_worked_example())

    rng = np.random.default_rng(0)
    n_input, n_hidden = 3, 5
    x = rng.normal(size=(args.batch, args.steps, n_input))
    W = rng.normal(scale=0.5, size=(n_input + n_hidden, n_hidden))  # rows: input, then state
    b = rng.normal(scale=0.1, size=n_hidden)
    reference, _ = cell_forward(x, W, b, backend="numpy")
    print(f"\nRandom batch {x.shape}: largest difference from the NumPy pass")
    for backend in ("tf", "keras"):
        for mode in ("static", "dynamic"):
            outputs, final = cell_forward(x, W, b, backend=backend, mode=mode)
            print(f"  {backend:5} {mode:7}  outputs {np.abs(outputs - reference).max():.1e}   "
                  f"final state = last output: {np.array_equal(final, outputs[:, -1])}")


if __name__ == "__main__":
    main()
