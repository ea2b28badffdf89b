"""What the structure promises: every export resolves, importing pyrnn,
building, training and plotting leave the process as they found it, and the
imports follow the README's layout table (no module imports a higher layer)."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module_name", ["pyrnn", "pyrnn.sequences"])
def test_every_lazy_export_resolves(module_name):
    import importlib

    module = importlib.import_module(module_name)
    missing = [name for name in module.__all__ if getattr(module, name, None) is None]
    assert not missing
    with pytest.raises(AttributeError, match="has no attribute 'nothing_here'"):
        module.nothing_here  # noqa: B018


STATE = '''
import os, random, sys
import numpy as np
import tensorflow as tf
from keras.src.backend.common import global_state
from tensorflow.python.eager import context

def state():
    return {"env": dict(os.environ), "python random": random.getstate(),
            "numpy random": np.random.get_state()[1].tobytes(),
            "tf seed": context.global_seed(), "keras seed": global_state.get_global_attribute("global_random_seed"),
            "intra-op threads": tf.config.threading.get_intra_op_parallelism_threads(),
            "inter-op threads": tf.config.threading.get_inter_op_parallelism_threads(),
            "pyplot": "matplotlib.pyplot" in sys.modules}

before = state()
import pyrnn
from pyrnn.plots import plot_curves
m = pyrnn.read_data_sets("sample")
x, y = pyrnn.reduceImage(m.test.images[:200]), m.test.labels[:200]
for build in (pyrnn.rnn, pyrnn.bidirectionRNN, pyrnn.stacked_rnn, pyrnn.lstm):
    model = build(n_hidden=4, seed=7)
history = pyrnn.train_rnn(model, x, y, batch=50, iteration=3, seed=7)
pyrnn.predict_rnn(model, x)
plot_curves({"loss": history.loss}, sys.argv[1], title="t")
after = state()
changed = [key for key in before if before[key] != after[key]]
print("changed:", changed)
'''


def _fresh_env(**settings) -> dict:
    """The environment for a fresh Python process: no threading chosen, then `settings`."""
    import os

    from pyrnn.threads import OPT_OUT_VARIABLE

    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", OPT_OUT_VARIABLE)}
    return {**env, **settings}


@pytest.mark.parametrize("opt_out", [True, False])
def test_importing_building_training_and_plotting_change_no_global_state(tmp_path, opt_out):
    """Nothing changes, but for TensorFlow's intra-op threads, which pyrnn sets
    to 1 where it starts TensorFlow's runtime unless told not to
    (pyrnn.threads.one_thread_per_op_by_default; the next test pins when)."""
    from pyrnn.threads import OPT_OUT_VARIABLE

    env = _fresh_env(**({OPT_OUT_VARIABLE: "0"} if opt_out else {}))
    proc = subprocess.run([sys.executable, "-c", STATE, str(tmp_path / "loss.png")], capture_output=True, text=True,
                          timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    expected = [] if opt_out else ["intra-op threads"]
    assert proc.stdout.strip().splitlines()[-1] == f"changed: {expected}", proc.stdout


THREADS = '''
import logging, sys
records = []
handler = logging.Handler()
handler.emit = records.append
logging.getLogger("pyrnn").addHandler(handler)
logging.getLogger("pyrnn").setLevel(logging.INFO)
first = sys.argv[1]
if first.startswith("tfstart"):  # as the `pyrnn` command and R start TensorFlow, before importing it
    from pyrnn.tfstart import start_tensorflow
    start_tensorflow(one_thread_per_op=first == "tfstart-on")
import tensorflow as tf
if first == "user-started":
    tf.constant(1.0) + 1.0  # the user's own TensorFlow op starts the runtime
elif first == "user-threads":
    tf.config.threading.set_inter_op_parallelism_threads(2)
import pyrnn
if first == "load":
    model = pyrnn.load_rnn(sys.argv[2])
else:
    model = pyrnn.lstm(n_hidden=4, seed=1)
    pyrnn.rnn(n_hidden=4, seed=1)
pyrnn.predict_rnn(model, [[0.5] * 256])
said = [r.getMessage() for r in records if "intra-op threads" in r.getMessage()]
print(tf.config.threading.get_intra_op_parallelism_threads(), len(said))
'''


@pytest.mark.parametrize("first, settings, threads, said", [
    ("build", {}, 1, 1),  # pyrnn starts the runtime, nothing chosen: one thread per op, said once
    ("load", {}, 1, 1),  # the same through load_rnn
    ("user-started", {}, 0, 0),  # the user's TensorFlow started first: too late, left alone
    ("user-threads", {}, 0, 0),  # tf.config.threading chosen
    ("build", {"TF_NUM_INTRAOP_THREADS": "2"}, 0, 0),
    ("build", {"TF_NUM_INTEROP_THREADS": "2"}, 0, 0),
    ("build", {"PYRNN_ONE_THREAD_PER_OP": "0"}, 0, 0),  # the documented opt-out
    ("tfstart-on", {}, 1, 0),  # the `pyrnn` command, R by default: set when TensorFlow starts
    ("tfstart-off", {}, 0, 0),  # R's options(pyrnn.one_thread_per_op = FALSE): the runtime starts without it
])
def test_one_thread_per_op_is_the_default_only_where_nothing_is_chosen(tmp_path, first, settings, threads, said):
    args = [first]
    if first == "load":
        from pyrnn import lstm, save_rnn

        args.append(str(save_rnn(lstm(n_hidden=4, seed=1), tmp_path / "m.keras")))
    proc = subprocess.run([sys.executable, "-c", THREADS, *args], capture_output=True, text=True, timeout=300,
                          env=_fresh_env(**settings))
    assert proc.returncode == 0, proc.stderr[-3000:]
    # intra-op threads, then how many times the "pyrnn" logger said it set them
    assert proc.stdout.split() == [str(threads), str(said)], proc.stdout


def test_the_same_seed_gives_the_same_weights_as_keras_global_seeding():
    import keras
    import numpy as np

    from pyrnn import bidirectionRNN, lstm, rnn, stacked_rnn

    for build in (rnn, bidirectionRNN, stacked_rnn, lstm):
        ours = [w.numpy() for w in build(n_hidden=4, seed=11).weights]
        keras.utils.set_random_seed(11)  # how pyrnn 0.1 seeded the builders
        theirs = [w.numpy() for w in build(n_hidden=4).weights]
        assert all(np.array_equal(a, b) for a, b in zip(ours, theirs)), build.__name__


def test_builders_in_threads_at_once_give_each_seed_its_weights():
    """Keras draws its initializers' seeds from Python's `random`, one stream
    per process: builders running at once in threads (a user's thread pool)
    must not draw from each other's seeded stream."""
    import threading

    import numpy as np

    from pyrnn import lstm, rnn

    expected = {seed: [w.numpy() for w in lstm(n_hidden=4, seed=seed).weights] for seed in (0, 1)}
    start, built = threading.Barrier(4), {}

    def build(k):
        start.wait()
        for r in range(5):
            seed = (k + r) % 2
            if k == 3:
                rnn(n_hidden=4)  # an unseeded build draws from Python's stream too
            else:
                built[k, r] = seed, [w.numpy() for w in lstm(n_hidden=4, seed=seed).weights]

    threads = [threading.Thread(target=build, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 15
    for (k, r), (seed, weights) in built.items():
        assert all(np.array_equal(a, b) for a, b in zip(weights, expected[seed])), (k, r, seed)


def _layers_in_the_readme() -> dict:
    """Module name ("pyrnn.training", "pyrnn.cli" for a folder) -> its layer,
    from the README's layout table."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## How the code is laid out", 1)[1].split("\n## ", 1)[0]
    layers = {}
    for layer, paths in re.findall(r"^\| (\d+) \| (.*?) \|", section, re.M):
        for path in re.findall(r"`(pyrnn/[^`]*)`", paths):
            name = path.removesuffix(".py").removesuffix("/").removesuffix("/__init__").replace("/", ".")
            layers[name] = int(layer)
    return layers


def _imports_of_each_module() -> dict:
    """Module name -> the pyrnn modules it imports, at the top or inside
    functions (ast, so every import statement counts)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    out = {}
    for path in sorted((root / "pyrnn").rglob("*.py")):
        name = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "pyrnn"}
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "pyrnn":
                for alias in node.names:  # `from pyrnn import graphcache` imports a module
                    module = f"{node.module}.{alias.name}"
                    is_module = (root / (module.replace(".", "/") + ".py")).exists() or \
                        (root / module.replace(".", "/")).is_dir()
                    found.add(module if is_module else node.module)
        out[name] = found - {name}
    return out


def test_graph_sources_hold_every_module_the_compiled_calls_reach_that_traces_ops():
    """The disk cache's key digests GRAPH_SOURCES, a list kept by hand: every
    pyrnn module that pyrnn.compiled reaches through its imports is either in
    it (its code is traced into the graphs) or named here as tracing nothing,
    so a new import there fails this test until someone says which it is."""
    from pyrnn.graphcache import GRAPH_SOURCES

    traces_nothing = {  # what pyrnn.compiled and the traced modules use of them runs in Python only
        "pyrnn.arrays", "pyrnn.calloptions", "pyrnn.errors", "pyrnn.files", "pyrnn.graphcache", "pyrnn.models",
        "pyrnn.names", "pyrnn.savedstate", "pyrnn.threads", "pyrnn.version"}
    imports, reached, todo = _imports_of_each_module(), set(), ["pyrnn.compiled"]
    while todo:
        module = todo.pop()
        if module not in reached:
            reached.add(module)
            todo.extend(imports[module])
    assert reached - traces_nothing == {f"pyrnn.{name.removesuffix('.py')}" for name in GRAPH_SOURCES}


def _layer_of(module: str, layers: dict):
    while module not in layers and "." in module:
        module = module.rsplit(".", 1)[0]  # pyrnn.cli.common: in the row of pyrnn/cli/
    return layers.get(module)


def test_no_module_imports_one_of_a_higher_layer_nor_itself_through_others():
    layers, imports = _layers_in_the_readme(), _imports_of_each_module()
    unlisted = [name for name in imports if _layer_of(name, layers) is None]
    assert not unlisted, f"modules missing from the README's layout table: {unlisted}"
    upward = [f"{name} (layer {_layer_of(name, layers)}) imports {other} (layer {_layer_of(other, layers)})"
              for name, found in imports.items() for other in found
              if _layer_of(other, layers) > _layer_of(name, layers)]
    assert not upward, "\n".join(upward)

    def circle_from(name, path):
        for other in imports.get(name, ()):
            if other in path:
                return path[path.index(other):] + [other]
            found = circle_from(other, path + [other])
            if found:
                return found
        return None

    circles = [c for c in (circle_from(name, [name]) for name in imports) if c]
    assert not circles, " -> ".join(circles[0])
