"""The peers pyrnn is measured against: the four recipes as a plain Keras 3
model trained with `model.fit`, and in PyTorch eager (CPU). Same data, batch
500, 64 hidden units, Adam at lr 0.01, softmax cross-entropy."""

from __future__ import annotations

import time

from common import BATCH, LR, N_CLASS, N_HIDDEN, block_times

STEPS, N_INPUT = 16, 16


# ---- Keras 3, model.fit -------------------------------------------------------------------------

def keras_model(recipe: str, seed: int = 1):
    """The recipe as Keras' stock layers with their defaults (no unrolling)."""
    import keras

    keras.utils.set_random_seed(seed)
    L = keras.layers
    if recipe == "basic":
        body = [L.SimpleRNN(N_HIDDEN)]
    elif recipe == "bidirectional":
        body = [L.Bidirectional(L.SimpleRNN(N_HIDDEN))]
    elif recipe == "stacked":
        body = [L.GRU(N_HIDDEN, return_sequences=True), L.GRU(N_HIDDEN, return_sequences=True), L.GRU(N_HIDDEN)]
    elif recipe == "lstm":
        body = [L.LSTM(N_HIDDEN)]
    else:
        raise ValueError(recipe)
    model = keras.Sequential([keras.Input((STEPS, N_INPUT)), *body, L.Dense(N_CLASS)])
    model.compile(optimizer=keras.optimizers.Adam(LR),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), jit_compile="auto")
    return model


def time_keras_fit(recipe: str, data: dict, warmup: int, blocks: int, block: int) -> list:
    """Seconds per step of `blocks` blocks of `block` model.fit steps, after `warmup` steps
    (the first of which compiles)."""
    import keras

    model = keras_model(recipe)
    stamps = []

    class Stamp(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            stamps.append(time.perf_counter())

    per_epoch = data["x_train"].shape[0] // BATCH
    epochs = -(-(warmup + blocks * block) // per_epoch)
    model.fit(data["x_train"], data["y_train"], batch_size=BATCH, epochs=epochs, shuffle=True, verbose=0,
              callbacks=[Stamp()])
    return block_times(stamps[warmup - 1:warmup + blocks * block], block)


def keras_inference(recipe: str, data: dict, repeats: int, chunk: int) -> list:
    """Seconds to predict the classes of the test images, `chunk` at a time."""
    model = keras_model(recipe)
    x = data["x_test"]
    out = []
    for k in range(repeats + 1):
        t = time.perf_counter()
        model.predict(x, batch_size=chunk, verbose=0).argmax(axis=1)
        if k:
            out.append(time.perf_counter() - t)
    return out


# ---- PyTorch eager ------------------------------------------------------------------------------

def torch_model(recipe: str, seed: int = 1):
    import torch
    from torch import nn

    torch.manual_seed(seed)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            if recipe == "basic":
                self.rnn, width = nn.RNN(N_INPUT, N_HIDDEN, batch_first=True), N_HIDDEN
            elif recipe == "bidirectional":
                self.rnn, width = nn.RNN(N_INPUT, N_HIDDEN, batch_first=True, bidirectional=True), 2 * N_HIDDEN
            elif recipe == "stacked":
                self.rnn, width = nn.GRU(N_INPUT, N_HIDDEN, num_layers=3, batch_first=True), N_HIDDEN
            elif recipe == "lstm":
                self.rnn, width = nn.LSTM(N_INPUT, N_HIDDEN, batch_first=True), N_HIDDEN
            else:
                raise ValueError(recipe)
            self.out = nn.Linear(width, N_CLASS)

        def forward(self, x):
            seq, _ = self.rnn(x)
            if recipe == "bidirectional":
                # forward direction's last step, backward direction's last step of its pass
                last = torch.cat([seq[:, -1, :N_HIDDEN], seq[:, 0, N_HIDDEN:]], dim=1)
            else:
                last = seq[:, -1]
            return self.out(last)

    return Net()


def time_torch(recipe: str, data: dict, warmup: int, blocks: int, block: int) -> list:
    import torch

    model = torch_model(recipe)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    x, y = torch.from_numpy(data["x_train"]), torch.from_numpy(data["y_train"]).long()
    order = torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(1))
    stamps, per_epoch = [], x.shape[0] // BATCH
    for i in range(warmup + blocks * block):
        idx = order[(i % per_epoch) * BATCH:][:BATCH]
        opt.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        loss.item()
        stamps.append(time.perf_counter())
    return block_times(stamps[warmup - 1:], block)


def torch_inference(recipe: str, data: dict, repeats: int, chunk: int) -> list:
    """Seconds to predict the classes of the test images, `chunk` at a time."""
    import torch

    model = torch_model(recipe).eval()
    x = torch.from_numpy(data["x_test"])
    out = []
    with torch.no_grad():
        for k in range(repeats + 1):
            t = time.perf_counter()
            for s in range(0, x.shape[0], chunk):
                model(x[s:s + chunk]).argmax(1)
            if k:
                out.append(time.perf_counter() - t)
    return out


# ---- the recipe end to end: a fresh model, ITERATIONS iterations ----------------------------------

def keras_recipe(recipe: str, data: dict, iterations: int) -> float:
    """Seconds to build and compile the Keras model and `fit` it for
    `iterations` steps of BATCH shuffled rows (one epoch over iterations *
    BATCH rows), the last loss read back."""
    start = time.perf_counter()
    model = keras_model(recipe)
    rows = iterations * BATCH
    history = model.fit(data["x_train"][:rows], data["y_train"][:rows], batch_size=BATCH, epochs=1, shuffle=True,
                        verbose=0)
    float(history.history["loss"][-1])
    return time.perf_counter() - start


def torch_recipe(recipe: str, data: dict, iterations: int) -> float:
    """Seconds to build the PyTorch model and its Adam and train it for
    `iterations` random batches, each loss read back (as the cookbook's loop
    does)."""
    import torch

    x, y = torch.from_numpy(data["x_train"]), torch.from_numpy(data["y_train"]).long()
    start = time.perf_counter()
    model = torch_model(recipe)
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(1)
    for _ in range(iterations):
        idx = torch.randperm(x.shape[0], generator=generator)[:BATCH]
        opt.zero_grad()
        loss = loss_fn(model(x[idx]), y[idx])
        loss.backward()
        opt.step()
        loss.item()
    return time.perf_counter() - start
