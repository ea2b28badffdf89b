skip_if_no_python()

rows <- function(n) sample16()$x_test[seq_len(n), ]

test_that("each builder maps N x 256 rows to N x n.class scores", {
  models <- list(rnn(n.hidden = 8, seed = 1), bidirectionRNN(n.hidden = 8, n.class = 3, seed = 1),
                 stacked_rnn(num_layers = 2, cell = "lstm", n.hidden = 8, seed = 1), lstm(n.hidden = 8, seed = 1))
  for (model in models) {
    expect_s3_class(model, "pyrnn_model")
    n_class <- model_shape(model)[["n_class"]]
    prob <- predict(model, rows(7), type = "prob")
    expect_identical(dim(prob), c(7L, n_class))
    expect_equal(rowSums(prob), rep(1, 7), tolerance = 1e-5)
    classes <- predict(model, rows(7))
    expect_type(classes, "integer")
    expect_identical(classes, max.col(prob, ties.method = "first") - 1L)
  }
  expect_identical(model_shape(models[[2]]), c(step_size = 16L, n_input = 16L, n_class = 3L))
})

test_that("sizes and weights follow the cookbook: basic RNN 256 -> 64 -> 10", {
  model <- rnn()
  # SimpleRNN: 16 * 64 input weights, 64 * 64 recurrent, 64 biases; output: 64 * 10 + 10
  expect_identical(model$count_params(), 16L * 64L + 64L * 64L + 64L + 64L * 10L + 10L)
  expect_match(capture.output(print(model)), "'rnn': 16 steps x 16 inputs -> 10 classes, 5,834 weights")
  expect_identical(model_shape(stacked_rnn(step_size = 28, n_input = 28, n_class = 4)),
                   c(step_size = 28L, n_input = 28L, n_class = 4L))
  expect_length(stacked_rnn(num_layers = 3, n_hidden = 4)$get_layer("stack")$layers, 3L)
})

test_that("the cookbook's names and the Python ones build the same model", {
  cookbook <- lstm(n.hidden = 12, n.class = 5, seed = 3)
  python <- lstm(n_hidden = 12, n_class = 5, seed = 3)
  expect_identical(predict(cookbook, rows(4), type = "prob"), predict(python, rows(4), type = "prob"))
  expect_error(rnn(n.hidden = 12, n_hidden = 13), "n.hidden and n_hidden name the same size")
})

test_that("input_gain scales the initial input weights of the layer reading the pixels", {
  input_kernels <- function(gain) {
    model <- bidirectionRNN(n.hidden = 8, input_gain = gain, seed = 5)
    layer <- model$get_layer("bidirectional_rnn")
    lapply(list(layer$forward_layer, layer$backward_layer), function(l) l$cell$kernel$numpy())
  }
  plain <- input_kernels(1)
  scaled <- input_kernels(3)
  expect_identical(dim(plain[[1]]), c(16L, 8L))
  expect_equal(scaled[[1]], 3 * plain[[1]], tolerance = 1e-6)
  expect_equal(scaled[[2]], 3 * plain[[2]], tolerance = 1e-6)
  expect_equal(lstm(n.hidden = 8, input_gain = 2, seed = 5)$get_layer("lstm")$cell$kernel$numpy(),
               2 * lstm(n.hidden = 8, input_gain = 1, seed = 5)$get_layer("lstm")$cell$kernel$numpy(),
               tolerance = 1e-6)
  # a default left to Python is Python's (test-arguments.R checks that R's defaults are the same)
  expect_identical(bidirectionRNN(n.hidden = 8, seed = 5)$get_layer("bidirectional_rnn")$forward_layer$cell$kernel$numpy(),
                   input_kernels(3)[[1]])
})

test_that("bad sizes are errors naming the argument as typed: R's for what is not a number, Python's for ranges", {
  expect_error(rnn(n.hidden = 0), "n.hidden must be a positive whole number, got 0", class = "pyrnn_error")
  expect_error(rnn(n.hidden = "64"), "n.hidden must be a single whole number, got \"64\"")
  expect_error(lstm(n_hidden = 0), "n_hidden must be a positive whole number, got 0", class = "pyrnn_error")
  expect_error(lstm(n_class = NA), "n_class must be a single whole number, got NA")
  expect_error(bidirectionRNN(step_size = 2.5), "step_size must be a single whole number, got 2.5")
  expect_error(stacked_rnn(cell = "elman"), 'unknown cell "elman"; choose one of basic, gru, lstm',
               class = "pyrnn_error")
  expect_error(lstm(forget_bias = "one"), "forget_bias must be a single number")
  expect_error(bidirectionRNN(input_gain = c(1, 2)), "input_gain must be a single number")
  expect_error(bidirectionRNN(input_gain = 0), "input_gain must be a finite number > 0, got 0$",
               class = "pyrnn_error")
  expect_error(stacked_rnn(input_gain = Inf), "input_gain must be a finite number > 0, got Inf",
               class = "pyrnn_error")
  expect_error(rnn(seed = -1), "seed must be a whole number in 0..4294967295 or NULL, got -1", class = "pyrnn_error")
})
