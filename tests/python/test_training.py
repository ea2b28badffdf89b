"""Training loop, evaluation, determinism, checkpoints and saving."""

import numpy as np
import pytest

from pyrnn import (TrainingDiverged, eval_acc, evaluate_rnn, load_rnn, lstm, predict_rnn, rnn, save_rnn,
                   train_rnn)


def test_eval_acc_on_hand_made_inputs():
    yhat = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8], [0.5, 0.4, 0.1]])
    one_hot = np.eye(3)[[0, 1, 0, 0]]
    assert eval_acc(yhat, one_hot) == 0.75
    assert eval_acc(yhat, [0, 1, 0, 0]) == 0.75
    assert eval_acc([0, 1, 2, 0], [0, 1, 2, 2]) == 0.75
    with pytest.raises(ValueError, match="4 rows but y has 3"):
        eval_acc(yhat, [0, 1, 2])


def test_same_seed_gives_the_same_loss_curve(small16):
    x, y = small16["x_train"][:2000], small16["y_train"][:2000]
    curves = [train_rnn(rnn(n_hidden=16, seed=5), x, y, batch=100, iteration=15, seed=5).loss for _ in range(2)]
    assert curves[0] == curves[1]
    other = train_rnn(rnn(n_hidden=16, seed=5), x, y, batch=100, iteration=15, seed=6).loss
    assert other != curves[0]


def test_a_float32_tensor_of_images_trains_as_its_array_and_a_recipes_data_copies_it_once():
    import tensorflow as tf

    from pyrnn.recipes import load_recipe_data

    data = load_recipe_data("sample")
    images = data.images_tensor("train")
    assert data.images_tensor("train") is images  # every run on this data (a sweep's trials) shares one copy
    assert images.dtype == tf.float32 and images.shape == data.splits["train"][0].shape
    x, y = data.splits["train"]
    curves = [train_rnn(rnn(n_hidden=8, seed=1), given, y, batch=50, iteration=20, seed=1).loss
              for given in (x, images)]
    assert curves[0] == curves[1]
    bad = tf.constant(np.full((4, 256), 2.0, np.float32))  # a tensor is checked as an array is
    with pytest.raises(ValueError, match="values up to 2"):
        train_rnn(rnn(n_hidden=8, seed=1), bad, [0, 1, 2, 3], batch=2, iteration=1)


def _runs_in_kernels(tensor, expected):
    """TensorFlow's kernels abort on misaligned data: a slice (StridedSlice checks) and a reduction run."""
    import tensorflow as tf

    np.testing.assert_array_equal(tensor[2:, 1].numpy(), expected[2:, 1])
    assert float(tf.reduce_sum(tensor)) == pytest.approx(float(expected.sum()), rel=1e-6)


def test_float32_tensor_reads_aligned_float32_in_place_and_keeps_it_alive():
    import gc

    from pyrnn.arrays import aligned_copy, in_place_readable
    from pyrnn.training import float32_tensor

    rows = aligned_copy(np.random.default_rng(0).random((7, 3, 5)))
    assert in_place_readable(rows)
    expected = rows.copy()
    tensor = float32_tensor(rows)
    rows[0, 0, 0] = 9.0  # read in place: the tensor sees the array's own memory
    assert tensor.numpy()[0, 0, 0] == 9.0
    rows[0, 0, 0] = expected[0, 0, 0]
    del rows
    gc.collect()
    np.testing.assert_array_equal(tensor.numpy(), expected)
    _runs_in_kernels(tensor, expected)


@pytest.mark.parametrize("kind", ["float64", "unaligned", "strided", "read-only"])
def test_float32_tensor_copies_what_tensorflow_cannot_read_in_place(kind):
    import gc

    import tensorflow as tf

    from pyrnn.arrays import aligned_copy
    from pyrnn.training import float32_tensor

    values = np.random.default_rng(0).random((7, 3, 5))
    if kind == "float64":
        rows = values.copy()
    elif kind == "unaligned":  # 4 bytes past an aligned start
        rows = aligned_copy(np.zeros(values.size + 1))[1:].reshape(values.shape)
        rows[...] = values
    elif kind == "strided":
        rows = aligned_copy(np.repeat(values, 2, axis=2))[:, :, ::2]
    else:
        rows = aligned_copy(values)
        rows.flags.writeable = False
    expected = rows.astype(np.float32)
    tensor = float32_tensor(rows)
    if rows.flags.writeable:
        rows[0, 0, 0] = 9.0  # a copy: the tensor does not see it
    del rows
    gc.collect()
    assert tensor.dtype == tf.float32 and tensor.shape == (7, 3, 5)
    np.testing.assert_array_equal(tensor.numpy(), expected)
    _runs_in_kernels(tensor, expected)


def test_images_read_in_place_are_left_as_they_were(small16):
    from pyrnn.arrays import in_place_readable

    x = small16["x_train"][:600]
    assert in_place_readable(x)  # reduceImage's rows, as the README's example makes them
    before = x.copy()
    train_rnn(rnn(n_hidden=8, seed=0), x, small16["y_train"][:600], batch=50, iteration=12, seed=0)
    np.testing.assert_array_equal(x, before)


def test_history_reports_what_was_done(small16):
    history = train_rnn(rnn(n_hidden=8, seed=0), small16["x_train"][:1000], small16["y_train"][:1000],
                        batch=50, iteration=7, seed=0)
    assert history.iterations_done == 7 and len(history.loss) == 7 and history.stopped is None
    assert history.seconds > 0 and history.sequences_per_second > 0
    assert history.to_dict()["batch"] == 50


def test_epochs_mode_runs_whole_passes(small16):
    x, y = small16["x_train"][:1000], small16["y_train"][:1000]
    history = train_rnn(rnn(n_hidden=8, seed=0), x, y, batch=300, epochs=2, seed=0)
    assert history.iterations_done == 2 * (1000 // 300)
    # found in use: iteration given with epochs was silently ignored (the CLI and R refuse the two together)
    with pytest.raises(ValueError, match="iteration and epochs both say how long to train"):
        train_rnn(rnn(n_hidden=8, seed=0), x, y, batch=300, iteration=20, epochs=1)
    assert train_rnn(rnn(n_hidden=8, seed=0), x, y, batch=300, seed=0).iterations_done == 100  # the default


def test_inputs_as_sequences_or_rows_train_the_same(small16):
    x, y = small16["x_train"][:600], small16["y_train"][:600]
    a = train_rnn(rnn(n_hidden=8, seed=2), x, y, batch=100, iteration=4, seed=2).loss
    b = train_rnn(rnn(n_hidden=8, seed=2), x.reshape(-1, 16, 16), y.argmax(axis=1), batch=100, iteration=4,
                  seed=2).loss
    np.testing.assert_allclose(a, b, rtol=1e-6)


def test_a_change_during_the_call_reaches_an_array_read_in_place_not_a_copy(small16):
    """As train_rnn's docstring says: x read in place is read as it is at each chunk."""
    from pyrnn.arrays import aligned_copy, in_place_readable

    y = small16["y_train"][:500]

    def losses(x):
        def blank(iteration, loss):
            if iteration == 1:
                x[...] = 0
        return train_rnn(rnn(n_hidden=8, seed=0), x, y, batch=50, iteration=20, seed=0, callback=blank).loss

    readable = aligned_copy(small16["x_train"][:500])
    assert in_place_readable(readable)
    in_place, copied = losses(readable), losses(small16["x_train"][:500].astype(np.float64))
    unchanged = train_rnn(rnn(n_hidden=8, seed=0), small16["x_train"][:500], y, batch=50, iteration=20, seed=0).loss
    np.testing.assert_allclose(copied, unchanged, rtol=1e-6)
    assert in_place[:10] == unchanged[:10] and in_place[10:] != unchanged[10:]


def test_other_types_convert_once_into_memory_read_in_place(small16):
    """R hands doubles in column-major order: as_sequences converts them into aligned float32 rows
    (one copy, which the tensor then reads in place), and they train as the float32 rows do."""
    from pyrnn.arrays import as_sequences, in_place_readable

    x, y = small16["x_train"][:600], small16["y_train"][:600]
    doubles = np.asfortranarray(x.astype(np.float64))
    for given in (doubles, np.asfortranarray(x)):
        converted = as_sequences(given, 16, 16)
        assert in_place_readable(converted) and converted.shape == (600, 16, 16)
        np.testing.assert_array_equal(converted, x.reshape(-1, 16, 16))
    a = train_rnn(rnn(n_hidden=8, seed=2), x, y, batch=100, iteration=4, seed=2).loss
    b = train_rnn(rnn(n_hidden=8, seed=2), doubles, y, batch=100, iteration=4, seed=2).loss
    assert a == b


def test_resume_from_checkpoint_equals_an_uninterrupted_run(small16, tmp_path):
    x, y = small16["x_train"][:2000], small16["y_train"][:2000]
    full = train_rnn(lstm(n_hidden=8, seed=3), x, y, batch=100, iteration=12, seed=3)
    ckpt = tmp_path / "ckpt.npz"
    stopped_at = []

    def interrupt(i, loss):
        if i == 5:
            stopped_at.append(i)
            raise KeyboardInterrupt

    part = train_rnn(lstm(n_hidden=8, seed=3), x, y, batch=100, iteration=12, seed=3, callback=interrupt,
                     checkpoint=ckpt)
    # training runs in compiled chunks: it stops at the end of the chunk holding iteration 5
    assert part.stopped == "interrupted" and 5 <= part.iterations_done < 12 and ckpt.exists()
    np.testing.assert_allclose(part.loss, full.loss[:part.iterations_done], rtol=1e-5)
    # a fresh model (other initial weights) restored from the checkpoint ends like the full run
    model = lstm(n_hidden=8, seed=42)
    resumed = train_rnn(model, x, y, batch=100, iteration=12, seed=3, checkpoint=ckpt, resume=True)
    assert resumed.iterations_done == 12
    np.testing.assert_allclose(resumed.loss, full.loss, rtol=1e-5)


def test_resume_without_checkpoint_is_explained(small16, tmp_path):
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        train_rnn(rnn(n_hidden=4), small16["x_train"][:100], small16["y_train"][:100], batch=10,
                  checkpoint=tmp_path / "none.npz", resume=True)


def test_diverging_loss_stops_with_advice(small16):
    # a step of 1e38 overflows float32 weights to inf, and the loss to NaN
    x, y = small16["x_train"][:500], small16["y_train"][:500]
    with pytest.raises(TrainingDiverged, match=r"became nan at iteration \d+.*smaller learning rate") as err:
        train_rnn(rnn(n_hidden=8, seed=0), x, y, lr=1e38, batch=100, iteration=20, seed=0)
    assert all(np.isfinite(err.value.history.loss))


@pytest.mark.parametrize("x_change, y_change, match", [
    (lambda x: x[:, :200], None, r"shape \(100, 200\); the model expects"),
    (lambda x: np.where(np.arange(256) == 3, np.nan, x), None, "NaN or infinite"),
    (lambda x: x[:0], None, "x has shape|empty"),
    (None, lambda y: y[:50], "x has 100 rows but y has 50"),
    (None, lambda y: y.argmax(axis=1) + 5, r"class ids must be whole numbers in 0\.\.9"),
    (None, lambda y: y * 2, "not a single 1"),
])
def test_bad_arrays_are_rejected_before_training(small16, x_change, y_change, match):
    x, y = small16["x_train"][:100], small16["y_train"][:100]
    x = x_change(x) if x_change else x
    y = y_change(y) if y_change else y
    with pytest.raises(ValueError, match=match):
        train_rnn(rnn(n_hidden=4), x, y, batch=10)


@pytest.mark.parametrize("kwargs, match", [
    ({"lr": 0}, "lr .* positive"), ({"lr": -0.1}, "lr .* positive"),
    ({"batch": 101}, r"batch must be .* 1\.\.100"), ({"iteration": 0}, "iteration must be"),
])
def test_bad_settings_are_rejected(small16, kwargs, match):
    with pytest.raises(ValueError, match=match):
        train_rnn(rnn(n_hidden=4), small16["x_train"][:100], small16["y_train"][:100], **{"batch": 10, **kwargs})


def test_784_columns_get_a_hint(sample):
    with pytest.raises(ValueError, match="reduceImage"):
        train_rnn(rnn(n_hidden=4), sample.test.images[:20], sample.test.labels[:20], batch=10)


def test_save_and_load_give_identical_predictions(small16, tmp_path):
    model = lstm(n_hidden=8, seed=4)
    train_rnn(model, small16["x_train"][:500], small16["y_train"][:500], batch=100, iteration=3, seed=4)
    path = save_rnn(model, tmp_path / "model")
    assert path.name == "model.keras" and not list(tmp_path.glob(".*"))  # no temporary left behind
    loaded = load_rnn(path)
    x = small16["x_test"][:300]
    np.testing.assert_array_equal(predict_rnn(loaded, x, probabilities=True), predict_rnn(model, x, probabilities=True))
    assert evaluate_rnn(loaded, x, small16["y_test"][:300]) == evaluate_rnn(model, x, small16["y_test"][:300])


def test_predict_and_evaluate_agree(small16):
    model = rnn(n_hidden=8, seed=0)
    x, y = small16["x_test"][:400], small16["y_test"][:400]
    probs = predict_rnn(model, x, probabilities=True)
    assert probs.shape == (400, 10) and np.allclose(probs.sum(axis=1), 1, atol=1e-5)
    classes = predict_rnn(model, x)
    assert classes.shape == (400,) and (classes == probs.argmax(axis=1)).all()
    result = evaluate_rnn(model, x, y)
    assert result["accuracy"] == eval_acc(probs, y) and result["n"] == 400
    expected_cost = -np.mean(np.log(probs[np.arange(400), y.argmax(axis=1)]))
    assert result["cost"] == pytest.approx(expected_cost, rel=1e-4)


def test_loading_refuses_code_and_non_models(tmp_path):
    import keras
    inputs = keras.Input((16, 16))
    hidden = keras.layers.Lambda(lambda t: t * 2)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(10)(keras.layers.Flatten()(hidden)))
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match="refused to load.*Lambda"):
        load_rnn(tmp_path / "lambda.keras")
    (tmp_path / "notes.keras").write_text("not a model")
    with pytest.raises(ValueError, match="not a pyrnn/Keras model file"):
        load_rnn(tmp_path / "notes.keras")
    with pytest.raises(FileNotFoundError, match="no such model file"):
        load_rnn(tmp_path / "missing.keras")


def test_resume_without_a_checkpoint_file_says_what_is_missing(small16):
    from pyrnn import PyrnnError, rnn, train_rnn

    with pytest.raises(PyrnnError, match="resume needs checkpoint=FILE"):
        train_rnn(rnn(n_hidden=2), small16["x_train"][:100], small16["y_train"][:100], batch=10, resume=True)
