"""The binary-dependency task (R2RT's "Recurrent Neural Networks in Tensorflow I"),
whose reachable cross-entropies are known in advance.

X_t is 0 or 1 with probability 1/2; P(Y_t = 1) = 0.5, plus 0.5 if X_{t-3} = 1,
minus 0.25 if X_{t-8} = 1. A model that learns neither dependency can do no
better than the entropy of Y (0.66 nats), one that learns the X_{t-3}
dependency 0.52, one that learns both 0.45.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from pyrnn.arrays import check_learning_rate, check_sizes
from pyrnn.errors import PyrnnError
from pyrnn.history import INTERRUPTED

N_CLASS = 2
LAGS = (3, 8)
AVERAGE_OVER = 100  # steps per point of the averaged curve, as in the tutorial


def p_y1(x_lag3: int, x_lag8: int) -> float:
    """P(Y_t = 1) given X_{t-3} and X_{t-8}."""
    return 0.5 + 0.5 * x_lag3 - 0.25 * x_lag8


def dependency_data(size: int = 1_000_000, seed: int | None = None):
    """X_t ~ Bernoulli(1/2) and Y_t ~ Bernoulli(p_y1(X_{t-3}, X_{t-8})), with
    X taken as 0 before the series starts.

    Returns (x, y): int32 arrays [size].
    """
    check_sizes(size=size)
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 2, size=int(size), dtype=np.int32)
    lag3, lag8 = (np.concatenate([np.zeros(lag, np.int32), x[:-lag]])[:x.size] for lag in LAGS)
    y = (rng.random(x.size) < 0.5 + 0.5 * lag3 - 0.25 * lag8).astype(np.int32)
    return x, y


def _entropy(p: float) -> float:
    return -sum(q * math.log(q) for q in (p, 1 - p) if q > 0)


def expected_cross_entropy() -> dict:
    """The cross-entropy (nats) of the best prediction of Y_t for a model that knows:

    - "learned_nothing": neither lag: it predicts P(Y = 1) = 0.625 always (0.6616);
    - "first_dependency": X_{t-3} only: P(Y = 1 | X_{t-3}) (0.5192);
    - "both_dependencies": X_{t-3} and X_{t-8}: P(Y = 1 | both) (0.4544).

    Each is the mean, over the equally likely values of the lags, of the
    entropy of Y given what the model knows, computed from `p_y1`.
    Returns a dict name -> float, in that order.
    """
    cases = list(itertools.product((0, 1), repeat=2))  # (X_{t-3}, X_{t-8}), each 1/4

    def knowing(key):
        groups = {}
        for case in cases:
            groups.setdefault(key(case), []).append(p_y1(*case))
        # each group is equally likely; the best prediction in a group is its mean P(Y = 1)
        return float(np.mean([_entropy(float(np.mean(ps))) for ps in groups.values()]))

    return {"learned_nothing": knowing(lambda case: ()),
            "first_dependency": knowing(lambda case: case[0]),
            "both_dependencies": knowing(lambda case: case)}


@dataclass
class DependencyResult:
    """What `train_dependency` did. loss: the training loss of every step (one
    window, float, in order); curve: the mean of each block of 100 steps (the
    tutorial's plot); final_loss: the mean of the last 100 steps; expected: the
    three known cross-entropies (expected_cross_entropy())."""

    loss: list = field(default_factory=list)
    curve: list = field(default_factory=list)
    final_loss: float = float("nan")
    expected: dict = field(default_factory=expected_cross_entropy)
    epochs: int = 0
    stopped: str | None = None  # INTERRUPTED ("interrupted") when Ctrl-C ended the run early
    seconds: float = 0.0
    settings: dict = field(default_factory=dict)

    @property
    def steps(self) -> int:
        return len(self.loss)

    @property
    def closest(self) -> str:
        """The expected value final_loss is nearest to."""
        return min(self.expected, key=lambda name: abs(self.expected[name] - self.final_loss))

    def to_dict(self) -> dict:
        out = asdict(self)
        out.update(steps=self.steps, closest=self.closest)
        return out


def averaged(loss, every: int = AVERAGE_OVER) -> list:
    """Mean of each full block of `every` consecutive values (float list)."""
    loss = np.asarray(loss, dtype=np.float64)
    blocks = loss.size // every
    return loss[:blocks * every].reshape(blocks, every).mean(axis=1).tolist()


def train_dependency(num_steps: int = 5, state_size: int = 4, batch_size: int = 200, lr: float = 0.1,
                     num_epochs: int = 1, size: int = 1_000_000, seed: int | None = None, callback=None,
                     carry_state: bool = True, mode: str = "static") -> DependencyResult:
    """Train a basic RNN on the binary-dependency task, as the tutorial does.

    Each epoch draws a fresh series of `size` steps (dependency_data), one-hot
    encodes X (2 inputs), reshapes it into batch_size rows and cuts them into
    windows of num_steps: one Adagrad step (learning rate lr) per window on the
    mean softmax cross-entropy, the final state of a window fed as the initial
    state of the next, zeros at each epoch start. The network: the hand-written
    cell with state_size units, a softmax layer over {0, 1} at every step.
    With num_steps=5, state_size=4 the loss settles near 0.52 (the X_{t-8}
    dependency is out of reach of a 5-step window); with num_steps=10,
    state_size=16 near 0.45.
    callback: called as callback(step, loss) after every step.
    carry_state: False resets the state at every window.
    mode: "static" (the cell unrolled in Python, TF1's static_rnn) or "dynamic"
        (tf.scan, TF1's dynamic_rnn): the same numbers either way.
    Returns a DependencyResult. Ctrl-C stops cleanly (stopped == "interrupted").
    """
    import keras

    from pyrnn.sequences.windows import as_rows, init_params, make_step, run_windows

    check_sizes(num_steps=num_steps, state_size=state_size, batch_size=batch_size, num_epochs=num_epochs, size=size)
    check_learning_rate(lr)
    if size // batch_size < num_steps:
        raise PyrnnError(f"size {size} gives rows of {size // batch_size} steps (batch_size {batch_size} rows), "
                         f"shorter than one window of num_steps={num_steps}; use a larger size or smaller batch")
    seed = int(np.random.SeedSequence().entropy % 2**31) if seed is None else int(seed)
    settings = dict(num_steps=int(num_steps), state_size=int(state_size), batch_size=int(batch_size), lr=float(lr),
                    num_epochs=int(num_epochs), size=int(size), seed=seed, carry_state=bool(carry_state), mode=mode)
    result = DependencyResult(settings=settings)

    params = init_params(N_CLASS, int(state_size), N_CLASS, seed)
    step = make_step(params, keras.optimizers.Adagrad(learning_rate=lr), mode=mode)
    one_hot = np.eye(N_CLASS, dtype=np.float32)

    def on_loss(loss):
        result.loss.append(loss)
        if callback is not None:
            callback(len(result.loss), loss)

    start = time.perf_counter()
    try:
        for epoch in range(int(num_epochs)):
            x, y = dependency_data(size, seed=[seed, epoch])
            run_windows(step, one_hot[as_rows(x, int(batch_size))], as_rows(y, int(batch_size)), int(num_steps),
                        int(state_size), carry_state, on_loss)
            result.epochs += 1
    except KeyboardInterrupt:
        result.stopped = INTERRUPTED
    result.seconds = time.perf_counter() - start
    result.curve = averaged(result.loss)
    tail = result.loss[-AVERAGE_OVER:]
    result.final_loss = float(np.mean(tail)) if tail else float("nan")
    return result
