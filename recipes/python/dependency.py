"""Recipe: the binary-dependency task against its known answers.

X_t is a fair coin; P(Y_t = 1) = 0.5 + 0.5 [X_{t-3} = 1] - 0.25 [X_{t-8} = 1].
The cross-entropy a network can reach is known: 0.66 (learns nothing), 0.52
(learns X_{t-3}), 0.45 (learns both). A 5-step window with 4 units settles near
0.52; 10 steps with 16 units get down towards 0.45.

Run: python recipes/python/dependency.py [--num-epochs 1 --size 1000000 --out runs/dependency]
"""

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from pyrnn.plots import plot_curves  # noqa: E402
from pyrnn.runfolder import run_folder  # noqa: E402
from pyrnn.sequences import expected_cross_entropy, train_dependency  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-epochs", type=int, default=1)
    parser.add_argument("--size", type=int, default=1_000_000, help="length of each epoch's series")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("runs/dependency_recipe"))
    parser.add_argument("--force", action="store_true", help="replace a run of pyrnn's already in --out")
    args = parser.parse_args()

    expected = expected_cross_entropy()
    for name, value in expected.items():
        print(f"expected, {name.replace('_', ' '):18} {value:.4f}")
    curves = {}
    with run_folder(args.out, "dependency recipe", force=args.force) as staging:  # never over the user's files
        for num_steps, state_size in ((5, 4), (10, 16)):
            result = train_dependency(num_steps=num_steps, state_size=state_size, num_epochs=args.num_epochs,
                                      size=args.size, seed=args.seed)
            label = f"num_steps={num_steps}, state_size={state_size}"
            curves[label] = result.curve or result.loss
            print(f"{label}: {result.steps} steps, final loss {result.final_loss:.4f} "
                  f"(closest: {result.closest.replace('_', ' ')})")
        plot_curves(curves, staging() / "loss.png", title="Binary-dependency task",
                    xlabel="block of 100 steps", ylabel="cross-entropy (nats)",
                    hlines={name.replace("_", " "): value for name, value in expected.items()})
    print("plot:", args.out / "loss.png")


if __name__ == "__main__":
    main()
