# Training, evaluation and prediction.

#' Train a model as the cookbook does
#'
#' Each iteration draws a random batch of `batch` rows (the cookbook's
#' `sample(1:N, batch)`), and takes one Adam step at learning rate `lr` on the
#' softmax cross-entropy of the logits. The data are converted once, then the
#' loop runs in compiled TensorFlow.
#'
#' To print the loss as the cookbook's loop did, pass
#' `callback = function(i, loss) cat("iteration - ", i, "Training Loss - ", loss, "\\n")`.
#'
#' @param model A model from [rnn()], [bidirectionRNN()], [stacked_rnn()],
#'   [lstm()] or [load_rnn()]; trained in place.
#' @param x Training sequences: an N x (step_size * n_input) matrix (N x 256
#'   for 16 x 16 images, see [reduceImage()]), a data frame of numeric
#'   columns, or an N x step_size x n_input array; no NA.
#' @param y Labels: N x n_class one-hot rows, or N class ids 0..n_class-1 (a
#'   single id for a single row).
#' @param lr Learning rate (> 0).
#' @param batch Rows per iteration (1..N).
#' @param iteration Number of iterations (random batches).
#' @param seed A whole number fixing the batches drawn (with a model built
#'   with a seed, the run is reproducible on the CPU), or `NULL`.
#' @param epochs If given, that many passes over the shuffled data instead of
#'   `iteration` random batches.
#' @param clipnorm If given, each gradient is clipped to this norm (a remedy
#'   for exploding gradients).
#' @param callback An R function called as `callback(i, loss)` after every
#'   iteration, or `NULL`.
#' @param checkpoint A file (.npz) where weights, optimizer state and losses
#'   are saved every `checkpoint_every` iterations and at the end; with
#'   `resume = TRUE` a run continues from it.
#' @param checkpoint_every Iterations between checkpoints.
#' @param resume Continue from `checkpoint`.
#' @return A "pyrnn_history": the training loss of every iteration (`loss`),
#'   the settings, and the time of the training loop (`seconds`). `plot()`
#'   draws the convergence plot. If the loss becomes NaN the run stops with an
#'   error of class "pyrnn_diverged" whose `history` holds the iterations done.
#' @export
#' @examplesIf pyrnn_available()
#' mnist <- read_data_sets("sample")
#' x <- reduceImage(mnist$train$images[1:2000, ])
#' model <- rnn(n.hidden = 32, seed = 1)
#' history <- train_rnn(model, x, mnist$train$labels[1:2000, ], batch = 100, iteration = 20, seed = 1)
#' history
#' plot(history)
train_rnn <- function(model, x, y, lr = 0.01, batch = 500, iteration = 100, seed = NULL,
                      epochs = NULL, clipnorm = NULL, callback = NULL, checkpoint = NULL,
                      checkpoint_every = 50, resume = FALSE) {
  as_history(call_python(pyrnn_tf()$train_rnn, capture_args(TRAINING_ARGS)))
}

# The arguments of the training, evaluation and prediction functions.
TRAINING_ARGS <- list(model = check_model, x = as_sequences, y = as_labels, yhat = as_scores, lr = as_number,
                      batch = as_int, iteration = as_int, seed = as_optional_int, epochs = as_optional_int,
                      clipnorm = as_optional_number, callback = as_callback, checkpoint = as_optional_path,
                      checkpoint_every = as_int, resume = as_flag, probabilities = as_flag)

#' Accuracy and cost of a model on labelled data
#'
#' @inheritParams train_rnn
#' @param x Sequences, as for [train_rnn()].
#' @param y Labels, as for [train_rnn()].
#' @return A list: `accuracy` (share of rows classified right), `cost` (mean
#'   softmax cross-entropy, the cookbook's `cost`) and `n` (rows).
#' @export
#' @examplesIf pyrnn_available()
#' mnist <- read_data_sets("sample")
#' model <- rnn(seed = 1)
#' evaluate_rnn(model, reduceImage(mnist$test$images), mnist$test$labels)
evaluate_rnn <- function(model, x, y) {
  call_python(pyrnn_tf()$evaluate_rnn, capture_args(TRAINING_ARGS))
}

#' Mean accuracy of predictions
#'
#' The cookbook's `eval_acc(yhat, y)`: the share of rows where the class with
#' the highest score in `yhat` is the true class.
#'
#' @param yhat Scores (N x n_class logits or probabilities), or N class ids
#'   (a single id for a single row, as `predict()` gives for one row).
#' @param y True labels: N x n_class one-hot rows, or N class ids (a single id
#'   for a single row).
#' @return A number between 0 and 1.
#' @export
#' @examplesIf pyrnn_available()
#' eval_acc(rbind(c(0.1, 0.9), c(0.8, 0.2)), rbind(c(0, 1), c(0, 1)))
eval_acc <- function(yhat, y) {
  call_python(pyrnn_tf()$eval_acc, capture_args(TRAINING_ARGS))
}

#' Predict classes or probabilities
#'
#' `predict_rnn()` is the Python core's name; `predict()` on a model does the
#' same with R's usual interface.
#'
#' @param model,object A model from [rnn()], [bidirectionRNN()],
#'   [stacked_rnn()], [lstm()] or [load_rnn()].
#' @param x,newdata Sequences, as for [train_rnn()]: N x (step_size *
#'   n_input); one sequence may be given as a vector (as `x[1, ]` gives).
#' @param probabilities `FALSE` for class ids, `TRUE` for probabilities.
#' @param type "class" for class ids (integers 0..n_class-1), "prob" for
#'   softmax probabilities (an N x n_class matrix).
#' @param ... Not used.
#' @return An integer vector of N class ids, or an N x n_class matrix of
#'   probabilities.
#' @export
#' @examplesIf pyrnn_available()
#' mnist <- read_data_sets("sample")
#' model <- rnn(seed = 1)
#' x <- reduceImage(mnist$test$images[1:5, ])
#' predict(model, x)
#' predict(model, x, type = "prob")
predict_rnn <- function(model, x, probabilities = FALSE) {
  result <- call_python(pyrnn_tf()$predict_rnn, capture_args(TRAINING_ARGS))
  if (length(dim(result)) == 2) unname(result) else as.integer(result)
}

#' @rdname predict_rnn
#' @importFrom stats predict
#' @export
predict.pyrnn_model <- function(object, newdata, type = c("class", "prob"), ...) {
  type <- match.arg(type)
  predict_rnn(object, newdata, probabilities = type == "prob")
}
