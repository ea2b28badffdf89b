"""How well digits drawn on real-looking pages are read: MNIST test digits in
dark ink on the generated pages of tests/python/test_pages.py (clean paper,
uneven lighting, ruled and squared paper, coloured paper, a vignette, a
shadow), prepared by `load_digit` and classified by an LSTM, per background,
against another version's `load_digit` on the same pages.

    git worktree add /tmp/pyrnn-main main
    python bench/pages.py --baseline /tmp/pyrnn-main --out bench/results/pages.json

The model is the cookbook's LSTM (64 hidden units, 100 iterations, batch 500,
seed 1) trained on full MNIST, or a saved one (--model). The baseline's
`load_digit` runs in a child process with that checkout first on the path; the
pages and the model are this checkout's, so only the preparing differs.
Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "python"))  # the page makers of test_pages.py

import numpy as np  # noqa: E402


def prepare(n_digits: int, data: Path, out: Path) -> None:
    """Draw the first n test digits on every background and save what the
    `pyrnn` on the path's load_digit makes of them (npz: background -> [n, 28, 28])."""
    from test_pages import BACKGROUNDS, prepared_digits

    from pyrnn import load_digit, read_data_sets

    images = read_data_sets(str(data)).test.images[:n_digits].reshape(-1, 28, 28)
    with tempfile.TemporaryDirectory() as folder:
        digits = prepared_digits(images, BACKGROUNDS, Path(folder), load_digit)
    np.savez(out, **digits)


def prepare_with(checkout: Path | None, n_digits: int, data: Path, out: Path) -> None:
    """`prepare` in a child process whose pyrnn is `checkout`'s (None: this one's)."""
    root = checkout or HERE.parent
    env = {**os.environ, "PYTHONPATH": str(root), "TF_CPP_MIN_LOG_LEVEL": "3"}
    subprocess.run([sys.executable, __file__, "--prepare", str(out), "--digits", str(n_digits), "--data", str(data)],
                   check=True, env=env, cwd=root)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=HERE / "results" / "pages.json", help="JSON file to write")
    parser.add_argument("--data", type=Path, default=HERE.parent.parent / "shared" / "data" / "mnist",
                        help="folder of the MNIST IDX files")
    parser.add_argument("--digits", type=int, default=500, help="the first N test digits")
    parser.add_argument("--baseline", type=Path, help="a checkout of the pyrnn to compare with (e.g. main)")
    parser.add_argument("--model", type=Path, help="a saved model or run folder instead of training one")
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)  # the child process's job
    args = parser.parse_args(argv)
    if args.prepare:
        prepare(args.digits, args.data, args.prepare)
        return 0

    sys.path.insert(0, str(HERE))
    import common

    from pyrnn import lstm, load_rnn, predict_rnn, read_data_sets, reduceImage, train_rnn

    mnist = read_data_sets(str(args.data))
    if args.model:
        model = load_rnn(args.model)
    else:
        model = lstm(n_hidden=common.N_HIDDEN, seed=1)
        train_rnn(model, reduceImage(mnist.train.images), mnist.train.labels, lr=common.LR, batch=common.BATCH,
                  iteration=100, seed=1)
    truth = mnist.test.labels[:args.digits].argmax(axis=1)

    def accuracy(images) -> float:
        return round(float(np.mean(predict_rnn(model, reduceImage(images)) == truth)), 4)

    versions = {"this": None, **({"baseline": args.baseline} if args.baseline else {})}
    report = {"machine": common.machine(), "digits": args.digits,
              "mnist_originals": accuracy(mnist.test.images[:args.digits]), "accuracy": {}}
    with tempfile.TemporaryDirectory() as folder:
        for name, checkout in versions.items():
            out = Path(folder) / f"{name}.npz"
            prepare_with(checkout, args.digits, args.data, out)
            with np.load(out) as digits:
                report["accuracy"][name] = {background: accuracy(digits[background]) for background in digits.files}
    if args.baseline:
        report["baseline"] = str(args.baseline)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")

    print(f"accuracy on {args.digits} MNIST test digits drawn on pages (the originals: {report['mnist_originals']})")
    print(f"{'background':12s}" + "".join(f"{name:>10s}" for name in versions))
    for background in report["accuracy"]["this"]:
        print(f"{background:12s}" + "".join(f"{report['accuracy'][name][background]:10.3f}" for name in versions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
