"""Recipe: the echo task ("roll game") with TensorFlow-style truncated backpropagation.

A random bit series; the target is the series shifted by --echo-step. The series
is reshaped into 5 rows, cut into windows of 15 steps, and each window's final
state starts the next one. Trained once carrying the state and once resetting
it at every window: only the first reaches ~100% (with the state reset, the
first echo-step steps of each window are guesses: at most 90% for 3 of 15).

Run: python recipes/python/echo.py [--num-epochs 5 --out runs/echo]
"""

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from pyrnn.plots import plot_curves  # noqa: E402
from pyrnn.runfolder import run_folder  # noqa: E402
from pyrnn.sequences import train_echo  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-epochs", type=int, default=5, help="most epochs (stops once learned)")
    parser.add_argument("--total-series-length", type=int, default=50000)
    parser.add_argument("--echo-step", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("runs/echo_recipe"))
    parser.add_argument("--force", action="store_true", help="replace a run of pyrnn's already in --out")
    args = parser.parse_args()

    curves = {}
    with run_folder(args.out, "echo recipe", force=args.force) as staging:  # never over the user's files
        for carry_state in (True, False):
            result = train_echo(total_series_length=args.total_series_length, echo_step=args.echo_step,
                                num_epochs=args.num_epochs, seed=args.seed, carry_state=carry_state)
            label = "state carried" if carry_state else "state reset every window"
            curves[label] = result.loss
            print(f"{label:26} epochs {result.epochs}, steps {result.steps}, final loss {result.loss[-1]:.4f}, "
                  f"accuracy {result.accuracy:.2%}")
        plot_curves(curves, staging() / "loss.png", title="Echo task: loss per step", xlabel="step (one window)")
    print("plot:", args.out / "loss.png")


if __name__ == "__main__":
    main()
