"""TensorFlow's threads for pyrnn's CPU kernels: one thread per op, made by
pyrnn itself only where the user chose none.

Why a setting at all: pyrnn.kernels cuts a batch into one part per core
(`parallel_parts`) and lets TensorFlow's inter-op threads run the parts side
by side; that pays only when each op runs on one thread. TensorFlow offers no
per-function threading, so this is the process' intra-op pool, which can be
set only before TensorFlow's runtime starts. tests/python/test_structure.py
pins when pyrnn makes it and when it leaves it alone.
"""

from __future__ import annotations

import logging
import os

import tensorflow as tf

log = logging.getLogger("pyrnn")


OPT_OUT_VARIABLE = "PYRNN_ONE_THREAD_PER_OP"
"""Set to "0" to keep pyrnn from choosing TensorFlow's threads on its own
(`one_thread_per_op_by_default`)."""
_defaulted = False  # one_thread_per_op_by_default() ran in this process


def _threads_chosen() -> bool:
    """Whether TensorFlow's threads are chosen already: through the
    environment (TF_NUM_INTRAOP_THREADS, TF_NUM_INTEROP_THREADS) or
    tf.config.threading, by the user or whoever owns the process."""
    threading = tf.config.threading
    return bool(os.environ.get("TF_NUM_INTRAOP_THREADS") or os.environ.get("TF_NUM_INTEROP_THREADS")
                or threading.get_intra_op_parallelism_threads() or threading.get_inter_op_parallelism_threads())


def use_one_thread_per_op() -> bool:
    """Let each TensorFlow op run on one thread (intra-op parallelism 1), so
    that the cores run the parts of a batch side by side (`parallel_parts`)
    instead of splitting every small op between them: on 2 cores, ops of this
    size lose more to handing work over than they gain (in TensorFlow's
    default pool the LSTM's step takes about a quarter longer: bench/speed.py's
    "pyrnn-tfpool" variant, quoted in the README's "Speed").
    Left alone where TensorFlow's threads are chosen already
    (TF_NUM_INTRAOP_THREADS, TF_NUM_INTEROP_THREADS, tf.config.threading),
    where a GPU does the work, and once TensorFlow's runtime has started (it
    is then too late). Returns whether this call made the setting.

    The `pyrnn` command calls it (through pyrnn.tfstart, before anything
    else), R too unless options(pyrnn.one_thread_per_op = FALSE), and the
    builders through `one_thread_per_op_by_default`."""
    if _threads_chosen() or tf.config.list_physical_devices("GPU"):
        return False
    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
    except RuntimeError:  # the runtime has started: its threads are fixed
        return False
    return True


def one_thread_per_op_by_default() -> None:
    """Make `use_one_thread_per_op`'s setting for a Python user who made no
    choice, once per process, saying so (INFO) on the "pyrnn" logger: the
    builders and load_rnn call it before their first TensorFlow op, so it
    takes effect only where pyrnn is the first to start TensorFlow's runtime.
    OPT_OUT_VARIABLE=0 in the environment keeps TensorFlow's default pool.

    Why: the fast path must be the default path, and the kernels run slower
    in TensorFlow's default pool whatever they do there: with the batch in
    parts, each part's ops also split over the pool's threads; with one part
    every small op splits, with four the parts also queue (no faster than two,
    mostly slower, in a scratch run of fresh processes on 2 cores). TensorFlow offers no
    per-function or per-op threading, so the setting is the process' intra-op
    pool, which can be made only before the runtime starts: a Keras layer's
    constructor starts it, so at the first model, not at train_rnn.
    tests/python/test_structure.py pins each condition in fresh processes:
    set when pyrnn starts the runtime and nothing is chosen, said once; left
    alone after the user started TensorFlow, under TF_NUM_INTRAOP_THREADS or
    TF_NUM_INTEROP_THREADS, after tf.config.threading, under the opt-out, and
    after pyrnn.tfstart started TensorFlow with or without the setting."""
    global _defaulted
    if _defaulted:
        return
    _defaulted = True
    if os.environ.get(OPT_OUT_VARIABLE) == "0":
        return
    if use_one_thread_per_op():
        log.info("pyrnn set TensorFlow's intra-op threads to 1 for its CPU kernels (one thread per op, the "
                 "cores running parts of a batch side by side); set %s=0 to keep TensorFlow's default",
                 OPT_OUT_VARIABLE)
