# Defects users reported: single rows and single labels, and what summary()
# and str() show of a model.

skip_if_no_python()

# The shape a value has once it is in Python, as R integers.
python_shape <- function(value) as.integer(unlist(reticulate::import("numpy")$shape(value)))

test_that("labels reach Python as 1-d NumPy arrays, even a single one", {
  expect_identical(python_shape(pyrnn:::as_labels(7)), 1L)
  expect_identical(python_shape(pyrnn:::as_labels(7L)), 1L)
  expect_identical(python_shape(pyrnn:::as_labels(factor("7"))), 1L)
  expect_identical(python_shape(pyrnn:::as_labels(c(7, 1, 2))), 3L)
  one_hot <- sample16()$y_test[1, , drop = FALSE]
  expect_identical(python_shape(pyrnn:::as_labels(one_hot)), c(1L, 10L))
})

test_that("one row with one label trains and evaluates", {
  data <- sample16()
  x <- data$x_train[1, , drop = FALSE]
  history <- train_rnn(rnn(n.hidden = 4, seed = 1), x, 7, batch = 1, iteration = 2, seed = 1)
  expect_length(history$loss, 2)
  expect_true(all(is.finite(history$loss)))
  result <- evaluate_rnn(rnn(n.hidden = 4, seed = 1), x, 7L)
  expect_identical(result$n, 1L)
  expect_true(result$accuracy %in% c(0, 1))
  norms <- gradient_norms_by_step(rnn(n.hidden = 4, seed = 1), x, factor("7"))
  expect_length(norms, 16)
  one_hot <- data$y_train[1, ]  # `[` drops the dimensions of one row: a one-hot vector
  expect_null(dim(one_hot))
  from_vectors <- train_rnn(rnn(n.hidden = 4, seed = 1), data$x_train[1, ], one_hot, batch = 1, iteration = 2,
                            seed = 1)
  expect_identical(from_vectors$loss, train_rnn(rnn(n.hidden = 4, seed = 1), x, which(one_hot == 1) - 1,
                                                batch = 1, iteration = 2, seed = 1)$loss)
})

test_that("eval_acc on the prediction of one row is 1 or 0", {
  expect_identical(python_shape(pyrnn:::as_scores(3L)), 1L)
  expect_identical(python_shape(pyrnn:::as_scores(matrix(0.1, 1, 10))), c(1L, 10L))
  model <- rnn(n.hidden = 4, seed = 1)
  x <- sample16()$x_test
  predicted <- predict(model, x[1, ])
  expect_length(predicted, 1)
  expect_identical(eval_acc(predicted, predicted), 1)
  expect_identical(eval_acc(predicted, (predicted + 1L) %% 10L), 0)
  expect_true(eval_acc(predict(model, x[1, ]), 7) %in% c(0, 1))
  expect_identical(eval_acc(predict(model, x[1, ], type = "prob"), predicted), 1)
  expect_identical(eval_acc(7, 7), 1)
  expect_identical(eval_acc(3, 7), 0)
})

test_that("predict on one row given as a vector equals predict on the 1-row matrix", {
  model <- rnn(n.hidden = 4, seed = 1)
  x <- sample16()$x_test
  expect_null(dim(x[1, ]))
  expect_identical(predict(model, x[1, ]), predict(model, x[1, , drop = FALSE]))
  expect_identical(predict(model, x[1, ], type = "prob"), predict(model, x[1, , drop = FALSE], type = "prob"))
  expect_identical(dim(predict(model, x[1, ], type = "prob")), c(1L, 10L))
  expect_identical(predict_rnn(model, x[2, ]), predict(model, x[1:2, ])[2])
})

test_that("summary() of a model prints the Keras layer summary and returns the layers", {
  model <- rnn(seed = 1)
  output <- capture.output(layers <- summary(model))
  text <- paste(output, collapse = "\n")
  expect_no_match(text, "<Functional")
  for (name in c("basic_rnn", "SimpleRNN", "output", "Dense")) expect_match(text, name, fixed = TRUE)
  expect_match(text, sprintf("Total params: %s", format(model$count_params(), big.mark = ",")), fixed = TRUE)
  expect_s3_class(layers, "data.frame")
  expect_identical(layers$layer, c("x", "basic_rnn", "output"))
  expect_identical(layers$params, c(0L, 16L * 64L + 64L * 64L + 64L, 64L * 10L + 10L))
  expect_identical(sum(layers$params), model$count_params())
  expect_identical(layers$output_shape, c("N x 16 x 16", "N x 64", "N x 10"))
  capture.output(expect_invisible(summary(model)))
})

test_that("str() of a model gives one line per layer, the input shape and the classes", {
  model <- stacked_rnn(num_layers = 2, n.hidden = 8, n.class = 3, seed = 1)
  output <- capture.output(value <- str(model))
  expect_null(value)
  expect_length(output, 4)
  expect_match(output[[1]], "'stacked_rnn'.*N x 16 x 16 .*16 steps x 16 inputs.*3 classes")
  expect_match(output[[1]], sprintf("%s weights", format(model$count_params(), big.mark = ",")), fixed = TRUE)
  expect_match(output[[2]], "\\$ x *: InputLayer +N x 16 x 16 +0 weights")
  stack <- model$get_layer("stack")$count_params()
  expect_match(output[[3]], sprintf("\\$ stack *: Sequential +N x 8 +%s weights", format(stack, big.mark = ",")))
  expect_match(output[[4]], "\\$ output *: Dense +N x 3 +27 weights")
  expect_no_match(paste(output, collapse = "\n"), "<Functional")
})
