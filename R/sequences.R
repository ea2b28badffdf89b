# The sequence experiments of the RNN tutorials: the echo task, the
# binary-dependency task, MNIST read row by row.

# The Python modules: echo and dependency run their data functions without
# TensorFlow; their training functions, and all of rows28, need it.
echo_module <- function(tensorflow = FALSE) python_module("pyrnn.sequences.echo", tensorflow)
dependency_module <- function(tensorflow = FALSE) python_module("pyrnn.sequences.dependency", tensorflow)
rows28_module <- function() python_module("pyrnn.sequences.rows28", tensorflow = TRUE)

# The arguments of the sequence experiments.
SEQUENCE_ARGS <- list(total_series_length = as_int, echo_step = as_int, truncated_backprop_length = as_int,
                      batch_size = as_int, state_size = as_int, num_epochs = as_int, num_steps = as_int,
                      size = as_int, lr = as_number, seed = as_optional_int, callback = as_callback,
                      stop_accuracy = as_optional_number, carry_state = as_flag, mode = as_string,
                      cell = as_string, steps = as_int, n_hidden = as_int, batch = as_int,
                      clipnorm = as_optional_number, data = as_path, gradient_batch = as_int,
                      model = check_model, x = as_sequences, y = as_labels)

# A training result of the Python side as an R list of class `class`.
as_sequence_result <- function(result, class) {
  values <- reticulate::py_to_r(reticulate::py_call(reticulate::py_get_attr(result, "to_dict")))
  for (name in intersect(c("loss", "curve", "epoch_accuracy"), names(values))) {
    values[[name]] <- as.numeric(unlist(values[[name]]))
  }
  if (!is.null(values$expected)) values$expected <- unlist(values$expected)
  structure(values, class = c(class, "pyrnn_sequence_run"))
}

#' The echo task ("roll game")
#'
#' A random binary series whose target is the series itself `echo_step`
#' steps later. `echo_data()` makes one; `train_echo()` trains a basic RNN
#' (the hand-written cell: 1 input, `state_size` tanh units, a softmax over
#' \{0, 1\} at each step) to echo it, with TensorFlow-style truncated
#' backpropagation: the series is reshaped into `batch_size` rows, cut into
#' windows of `truncated_backprop_length` steps, one Adagrad step per window,
#' and the final state of a window is fed as the initial state of the next.
#' It learns to about 100% accuracy when `echo_step` is shorter than the
#' window.
#'
#' @param total_series_length Length of the series (drawn afresh each epoch).
#' @param echo_step How many steps later the input is echoed.
#' @param batch_size Number of rows the series is reshaped into.
#' @param seed A whole number making the run reproducible, or `NULL`.
#' @param truncated_backprop_length Steps per window.
#' @param state_size Hidden units.
#' @param num_epochs The most epochs run.
#' @param lr Adagrad's learning rate.
#' @param callback An R function called as `callback(step, loss)` after every
#'   window, or `NULL`.
#' @param stop_accuracy Stop at the end of an epoch whose training accuracy
#'   reaches this (`NULL`: run every epoch).
#' @param carry_state `FALSE` resets the state at every window (the network
#'   then cannot echo across windows).
#' @param mode "static" (the cell unrolled, TF1's static_rnn) or "dynamic"
#'   (a graph loop, dynamic_rnn).
#' @return `echo_data()`: a list of integer matrices `x` and `y`
#'   (`batch_size` rows). `train_echo()`: a "pyrnn_echo" list with `loss` (per
#'   step), `accuracy` (on a fresh series), `epoch_accuracy`, `epochs`,
#'   `steps`, `stopped`, `seconds` and `settings`; `plot()` draws the loss.
#' @export
#' @examplesIf pyrnn_available()
#' data <- echo_data(total_series_length = 30, echo_step = 3, batch_size = 2, seed = 1)
#' data$x
#' data$y
#' run <- train_echo(total_series_length = 5000, num_epochs = 2, seed = 0)
#' run
echo_data <- function(total_series_length = 50000, echo_step = 3, batch_size = 5, seed = NULL) {
  data <- call_python(echo_module()$echo_data, capture_args(SEQUENCE_ARGS))
  list(x = data[[1]], y = data[[2]])
}

#' @rdname echo_data
#' @export
train_echo <- function(total_series_length = 50000, echo_step = 3, truncated_backprop_length = 15,
                       batch_size = 5, state_size = 4, num_epochs = 100, lr = 0.3, seed = NULL,
                       callback = NULL, stop_accuracy = 0.99, carry_state = TRUE, mode = "static") {
  result <- call_python(echo_module(tensorflow = TRUE)$train_echo, capture_args(SEQUENCE_ARGS))
  as_sequence_result(result, "pyrnn_echo")
}

#' The binary-dependency task and its known answers
#'
#' \eqn{X_t}{X_t} is 0 or 1 with probability 1/2; \eqn{P(Y_t = 1)}{P(Y_t = 1)} is
#' 0.5, plus 0.5 if \eqn{X_{t-3} = 1}{X_(t-3) = 1}, minus 0.25 if
#' \eqn{X_{t-8} = 1}{X_(t-8) = 1}. The cross-entropy
#' a model can reach is known: 0.66 if it learns neither dependency, 0.52 if
#' it learns the first, 0.45 if it learns both; `expected_cross_entropy()`
#' computes the three exactly. `train_dependency()` trains a basic RNN on it
#' as the tutorial does (Adagrad, truncated backpropagation with the state
#' carried across windows): with `num_steps = 5, state_size = 4` the loss
#' settles near 0.52; with `num_steps = 10, state_size = 16` near 0.45.
#'
#' @param size Length of the series (drawn afresh each epoch).
#' @param seed A whole number making the data (and run) reproducible, or
#'   `NULL`.
#' @param num_steps Steps per window (truncated backpropagation).
#' @param state_size Hidden units.
#' @param batch_size Number of rows the series is reshaped into.
#' @param lr Adagrad's learning rate.
#' @param num_epochs Passes, each over a fresh series.
#' @param callback An R function called as `callback(step, loss)` after every
#'   window, or `NULL`.
#' @param carry_state `FALSE` resets the state at every window.
#' @param mode "static" or "dynamic" unrolling (same numbers).
#' @return `dependency_data()`: a list of integer vectors `x` and `y`.
#'   `expected_cross_entropy()`: a named numeric vector (`learned_nothing`,
#'   `first_dependency`, `both_dependencies`, in nats).
#'   `train_dependency()`: a "pyrnn_dependency" list with `loss` (per step),
#'   `curve` (mean of each 100 steps), `final_loss` (mean of the last 100),
#'   `expected`, `closest` (the expected value nearest to `final_loss`),
#'   `steps`, `epochs`, `stopped`, `seconds` and `settings`; `plot()` draws
#'   the curve against the three expected values.
#' @export
#' @examplesIf pyrnn_available()
#' expected_cross_entropy()
#' data <- dependency_data(size = 100000, seed = 1)
#' mean(data$y[4:100000][data$x[1:99997] == 1]) # P(Y = 1 | X_{t-3} = 1): 0.875
#' run <- train_dependency(num_steps = 5, state_size = 4, size = 100000, seed = 0)
#' run
dependency_data <- function(size = 1e6, seed = NULL) {
  data <- call_python(dependency_module()$dependency_data, capture_args(SEQUENCE_ARGS))
  list(x = as.integer(data[[1]]), y = as.integer(data[[2]]))
}

#' @rdname dependency_data
#' @export
expected_cross_entropy <- function() {
  unlist(call_python(dependency_module()$expected_cross_entropy, list()))
}

#' @rdname dependency_data
#' @export
train_dependency <- function(num_steps = 5, state_size = 4, batch_size = 200, lr = 0.1, num_epochs = 1,
                             size = 1e6, seed = NULL, callback = NULL, carry_state = TRUE, mode = "static") {
  result <- call_python(dependency_module(tensorflow = TRUE)$train_dependency, capture_args(SEQUENCE_ARGS))
  as_sequence_result(result, "pyrnn_dependency")
}

#' MNIST read row by row: basic RNN against LSTM, and why
#'
#' `train_rows28()` trains the basic RNN (`cell = "basic"`) or the LSTM on
#' MNIST read as 28 steps of 28 pixels with the tutorial's settings (128
#' units, Adam at lr 0.01, batch 100, 5,000 steps), and reports the test
#' accuracy with what explains the gap between the cells: the norm of the
#' gradient of the loss with respect to each step's hidden state
#' (`gradient_norms_by_step()`), before and after training, and how saturated
#' the final tanh states are. `clipnorm` clips the gradients, the remedy for
#' exploding ones.
#'
#' @param cell "basic" or "lstm".
#' @param steps Training iterations, each a random batch.
#' @param n_hidden Hidden units.
#' @param lr Adam's learning rate.
#' @param batch Images per iteration.
#' @param clipnorm Clip each gradient to this norm, or `NULL`.
#' @param seed A whole number making the run reproducible, or `NULL`.
#' @param data "sample" (the bundled subset), a folder with the four MNIST
#'   files, or "auto" (`PYRNN_DATA`, ./MNIST-data, the user cache, else the
#'   sample).
#' @param callback An R function called as `callback(iteration, loss)`, or
#'   `NULL`.
#' @param gradient_batch Test images used for the gradient norms.
#' @param model A model with one recurrent layer ([rnn()] or [lstm()]).
#' @param x Sequences: N x (steps * n_input) rows (N x 784 for 28 x 28 images).
#' @param y Labels: one-hot rows or class ids.
#' @return `train_rows28()`: a "pyrnn_rows28" list with `accuracy`, `cost`,
#'   `n_test`, `history` (a "pyrnn_history"), `model`, `grad_norms_init` and
#'   `grad_norms` (28 values each), `saturation_init`, `saturation`,
#'   `recurrent_norm_init`, `recurrent_norm` and `settings`; `plot()` draws
#'   the gradient norms per step. `gradient_norms_by_step()`: a numeric
#'   vector, one norm per step.
#' @export
#' @examplesIf pyrnn_available()
#' run <- train_rows28(cell = "lstm", steps = 20, n_hidden = 16, seed = 0)
#' run
#' mnist <- read_data_sets("sample")
#' gradient_norms_by_step(lstm(n_hidden = 8, step_size = 28, n_input = 28, seed = 0),
#'                        mnist$test$images[1:50, ], mnist$test$labels[1:50, ])
train_rows28 <- function(cell = "basic", steps = 5000, n_hidden = 128, lr = 0.01, batch = 100, clipnorm = NULL,
                         seed = NULL, data = "sample", callback = NULL, gradient_batch = 500) {
  result <- call_python(rows28_module()$train_rows28, capture_args(SEQUENCE_ARGS))
  values <- c(reticulate::py_to_r(reticulate::py_call(reticulate::py_get_attr(result, "to_dict"))),
              list(model = as_pyrnn_model(reticulate::py_get_attr(result, "model"))))
  values$history <- as_history(reticulate::py_get_attr(result, "history"))
  for (name in c("grad_norms_init", "grad_norms")) values[[name]] <- as.numeric(unlist(values[[name]]))
  structure(values, class = c("pyrnn_rows28", "pyrnn_sequence_run"))
}

#' @rdname train_rows28
#' @export
gradient_norms_by_step <- function(model, x, y) {
  as.numeric(call_python(rows28_module()$gradient_norms_by_step, capture_args(SEQUENCE_ARGS)))
}

# print(): each experiment's own lines, then (the pyrnn_sequence_run method,
# through NextMethod()) its settings.

#' @export
print.pyrnn_echo <- function(x, ...) {
  cat(sprintf("echo task: %d steps in %d epoch(s), accuracy %.4f on a fresh series%s\n", x$steps, x$epochs,
              x$accuracy, if (is.null(x$stopped)) "" else sprintf(" (stopped: %s)", x$stopped)))
  NextMethod()
}

#' @export
print.pyrnn_dependency <- function(x, ...) {
  cat(sprintf("binary-dependency task: %d steps, final loss %.4f, closest to %s\n", x$steps, x$final_loss,
              x$closest))
  cat(sprintf("  expected: %s\n", paste(sprintf("%s %.4f", names(x$expected), x$expected), collapse = ", ")))
  NextMethod()
}

#' @export
print.pyrnn_rows28 <- function(x, ...) {
  cat(sprintf("MNIST row by row, %s cell: test accuracy %.4f, cost %.4f (%d images)\n", x$cell, x$accuracy,
              x$cost, x$n_test))
  cat(sprintf("  saturated final states %.3f (before training %.3f)\n", x$saturation, x$saturation_init))
  NextMethod()
}

#' @export
print.pyrnn_sequence_run <- function(x, ...) {
  settings <- paste(sprintf("%s %s", names(x$settings),
                            vapply(x$settings, function(v) if (is.null(v)) "NULL" else format(v), "")),
                    collapse = ", ")
  cat(sprintf("  settings: %s\n", settings))
  invisible(x)
}

#' Plot a sequence experiment
#'
#' Base graphics: the loss per step for the echo task; the averaged loss
#' against the three expected cross-entropies for the dependency task; the
#' gradient norm per time step (log10), before and after training, for
#' MNIST read row by row.
#'
#' @param x A result of [train_echo()] (class "pyrnn_echo"),
#'   [train_dependency()] ("pyrnn_dependency") or [train_rows28()]
#'   ("pyrnn_rows28").
#' @param main Title; `NULL` for the experiment's name.
#' @param ylim Range of the y axis; `NULL` to fit the curves (and, for the
#'   dependency task, the expected values).
#' @param ... Passed to [graphics::plot()] ([graphics::matplot()] for
#'   "pyrnn_rows28").
#' @return `x`, invisibly.
#' @export
plot.pyrnn_echo <- function(x, main = NULL, ylim = NULL, ...) {
  graphics::plot(seq_along(x$loss), x$loss, type = "l", xlab = "step (window)",
                 ylab = "training loss (cross-entropy)", main = if (is.null(main)) "Echo task" else main,
                 ylim = ylim, ...)
  invisible(x)
}

#' @rdname plot.pyrnn_echo
#' @export
plot.pyrnn_dependency <- function(x, main = NULL, ylim = NULL, ...) {
  curve <- if (length(x$curve)) x$curve else x$loss
  graphics::plot(seq_along(curve), curve, type = "l",
                 ylim = if (is.null(ylim)) range(c(curve, x$expected)) else ylim,
                 xlab = if (length(x$curve)) "hundreds of steps" else "step",
                 ylab = "training loss (cross-entropy)",
                 main = if (is.null(main)) "Binary-dependency task" else main, ...)
  graphics::abline(h = x$expected, lty = 2, col = "gray40")
  graphics::text(1, x$expected, names(x$expected), adj = c(0, -0.3), cex = 0.8, col = "gray30")
  invisible(x)
}

#' @rdname plot.pyrnn_echo
#' @export
plot.pyrnn_rows28 <- function(x, main = NULL, ylim = NULL, ...) {
  norms <- log10(pmax(cbind(x$grad_norms_init, x$grad_norms), 1e-30))
  graphics::matplot(seq_len(nrow(norms)), norms, type = "l", lty = 1, col = c("gray50", "black"),
                    xlab = "time step t (image row)", ylab = "log10 ||d loss / d h_t||", ylim = ylim,
                    main = if (is.null(main)) sprintf("Gradient per step, %s cell", x$cell) else main, ...)
  graphics::legend("bottomright", c("before training", "after training"), lty = 1, col = c("gray50", "black"))
  invisible(x)
}
