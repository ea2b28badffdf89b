"""A digest of each recipe's traced training graph, as pyrnn's disk cache
would store it: the functions of its library sorted, and the counters
TensorFlow appends to names (`while_body_546`, `PartitionedCall-606`) taken
out, since they count what the process traced before.

Run this checkout's script with PYTHONPATH set to each of two checkouts
(PYTHONPATH=<checkout> python bench/graph_digest.py; an older checkout need
not have the script): equal digests mean a change left the compiled
training graphs as they were, so the steps run the same ops as before and
step timings measured on the earlier version still describe them."""

import hashlib
import os
import re

os.environ["PYRNN_CACHE_DIR"] = ""  # trace every graph, never read one back

from pyrnn import BUILDERS, compiled, graphcache  # noqa: E402

import common  # noqa: E402


def digest(graph_def) -> str:
    def plain(proto) -> str:  # counters only in quoted strings (names, inputs), never in numbers
        return re.sub(r'"[^"]*"', lambda name: re.sub(r"[_-]\d+", "_N", name.group()), str(proto))

    parts = sorted(plain(function) for function in graph_def.library.function)
    return hashlib.sha256("\n".join(parts + [plain(node) for node in graph_def.node]).encode()).hexdigest()[:16]


def main() -> int:
    stored = []
    graphcache.store = lambda key, concrete: stored.append(concrete.graph.as_graph_def())
    for recipe in common.RECIPES:
        model = BUILDERS[recipe](n_hidden=common.N_HIDDEN, seed=1)
        compiled.training_call(model, compiled.optimizer_for(model, common.LR, None), common.BATCH, "auto")
        graph_def = stored[-1]
        ops = sum(len(function.node_def) for function in graph_def.library.function)
        print(f"{recipe}: {digest(graph_def)} ({ops} ops in {len(graph_def.library.function)} functions)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
