# Training, evaluation and prediction.

#' Train a model as the cookbook does
#'
#' Each iteration draws a random batch of `batch` rows (the cookbook's
#' `sample(1:N, batch)`), and takes one Adam step at learning rate `lr` on the
#' softmax cross-entropy of the logits. The data are converted once, then the
#' loop runs in compiled TensorFlow.
#'
#' To print the loss as the cookbook's loop did, pass
#' `callback = function(i, loss) cat("iteration - ", i, "Training Loss - ", loss, "\n")`.
#'
#' With `validation_data = list(x_val, y_val)`, the validation loss and
#' accuracy are computed every `validate_every` iterations and at the last
#' one; with `patience`, the run stops early after that many checks in a row
#' without a lower validation loss, and (`restore_best`) the model gets back
#' the weights of the best check. `log_dir` keeps TensorBoard event files
#' (`tensorboard --logdir DIR`). In an interactive session a progress line
#' (iteration, loss, time) is redrawn in the console; `verbose = FALSE` turns
#' it off, and nothing is printed in scripts.
#'
#' @param model A model from [rnn()], [bidirectionRNN()], [stacked_rnn()],
#'   [lstm()] or [load_rnn()]; trained in place.
#' @param x Training sequences: an N x (step_size * n_input) matrix (N x 256
#'   for 16 x 16 images, see [reduceImage()]), a data frame of numeric
#'   columns, or an N x step_size x n_input array; no NA. Pixels in \[0, 1\]
#'   (as [read_data_sets()] gives them): values above 1 are refused, so divide
#'   0..255 images by 255 first.
#' @param y Labels: N x n_class one-hot rows, or N class ids 0..n_class-1 (a
#'   single id for a single row).
#' @param lr Learning rate (> 0).
#' @param batch Rows per iteration (1..N).
#' @param iteration Number of iterations (random batches); `NULL`, the
#'   default, runs 100 (the cookbook's loop) unless `epochs` is given. Give one
#'   of `iteration` and `epochs`.
#' @param seed A whole number fixing the batches drawn (with a model built
#'   with a seed, the run is reproducible on the CPU), or `NULL`.
#' @param epochs If given, that many passes over the shuffled data instead of
#'   `iteration` random batches (each pass `nrow(x) %/% batch` iterations);
#'   give one of `iteration` and `epochs`.
#' @param clipnorm If given, each gradient is clipped to this norm (a remedy
#'   for exploding gradients).
#' @param callback An R function called as `callback(i, loss)` after every
#'   iteration, or `NULL`. An error in it stops the run with an R error of
#'   class "pyrnn_callback_error" ("callback failed: ..."), whose `parent` is
#'   the callback's own.
#' @param checkpoint A file (.npz) where weights, optimizer state and losses
#'   are saved every `checkpoint_every` iterations and at the end; with
#'   `resume = TRUE` a run continues from it. A checkpoint there is replaced;
#'   a folder or any other file is refused.
#' @param checkpoint_every Iterations between checkpoints.
#' @param resume Continue from `checkpoint`.
#' @param backend "auto" (pyrnn's CPU kernels where they cover the model, else
#'   Keras; Keras' cuDNN layers on a GPU), "kernels" (the kernels, or an error
#'   saying why they cannot run the model) or "keras".
#' @param validation_data `NULL`, or `list(x_val, y_val)`: validation
#'   sequences and labels, given as `x` and `y` are.
#' @param validate_every Iterations between validation checks (there is
#'   always one after the last iteration).
#' @param patience With `validation_data`: stop after this many checks in a
#'   row without a lower validation loss (early stopping), or `NULL` to run
#'   all iterations.
#' @param restore_best After early stopping, put back the weights of the check
#'   with the lowest validation loss.
#' @param log_dir A folder for TensorBoard event files (the training loss in
#'   `log_dir/train`, the validation checks in `log_dir/validation`), or
#'   `NULL`.
#' @param verbose Show a progress bar (the `cli` package's: iteration, loss,
#'   time; at the end the last validation accuracy), drawn in place in a
#'   console and as plain lines into a log file. By default on in an
#'   interactive session only.
#' @return A "pyrnn_history": the training loss of every iteration (`loss`),
#'   the settings, the time of the training loop (`seconds`), the validation
#'   checks (`val_iteration`, `val_loss`, `val_accuracy`, `best_iteration`) and
#'   why the run ended early (`stopped`: `NULL`, "early stopping" or
#'   "interrupted"). `plot()` draws the convergence plot, `summary()` and
#'   `as.data.frame()` sum it up. If the loss becomes NaN the run stops with
#'   an error of class "pyrnn_diverged" whose `history` holds the iterations
#'   done.
#' @seealso `vignette("chapter6", package = "pyrnn")`: the cookbook's four
#'   recipes trained and compared; `demo("lstm", package = "pyrnn")`: one
#'   recipe as the cookbook writes it.
#' @export
#' @examplesIf pyrnn_available()
#' mnist <- read_data_sets("sample")
#' x <- reduceImage(mnist$train$images[1:2000, ])
#' model <- rnn(n.hidden = 32, seed = 1)
#' history <- train_rnn(model, x, mnist$train$labels[1:2000, ], batch = 100, iteration = 20, seed = 1,
#'                      validation_data = list(reduceImage(mnist$test$images[1:500, ]),
#'                                             mnist$test$labels[1:500, ]),
#'                      validate_every = 5)
#' history
#' summary(history)
#' plot(history)
train_rnn <- function(model, x, y, lr = 0.01, batch = 500, iteration = NULL, seed = NULL,
                      epochs = NULL, clipnorm = NULL, callback = NULL, checkpoint = NULL,
                      checkpoint_every = 50, resume = FALSE, backend = "auto", validation_data = NULL,
                      validate_every = 10, patience = NULL, restore_best = TRUE, log_dir = NULL,
                      verbose = interactive()) {
  verbose <- as_flag(verbose, "verbose")
  args <- capture_args(TRAINING_ARGS, ignore = "verbose") # R shows the progress, not Python
  if (!verbose) return(train_noting_fresh_adam(args))
  # (iteration, epochs and batch passed capture_args' checks)
  total <- python_module("pyrnn.history")$iterations_of(iteration, epochs, reticulate::py_len(args$x), batch)
  progress <- progress_bar(total)
  user_callback <- args$callback
  args$callback <- function(i, loss) {
    progress$update(i, loss)
    if (!is.null(user_callback)) user_callback(i, loss)
  }
  history <- NULL
  on.exit(progress$done(history))
  history <- train_noting_fresh_adam(args)
  history
}

# Python's train_rnn on `args`, its History as R's; a model loaded from an
# earlier pyrnn's file gets Python's note of a fresh Adam as an R warning (a
# Python warning is not one) once the call that trains it ends, however it ends.
train_noting_fresh_adam <- function(args) {
  savedstate <- python_module("pyrnn.savedstate", tensorflow = TRUE)
  notes <- reticulate::py_eval("[]", convert = FALSE)
  on.exit(for (note in reticulate::py_to_r(notes)) warning(r_words(note), call. = FALSE), add = TRUE)
  as_history(call_python(savedstate$noting_fresh_adam(pyrnn_tf()$train_rnn, notes), args))
}

# The `cli` package's progress bar: iteration of total, loss and time; at the
# end (done(history)) the last validation accuracy too. cli draws it in place
# in a terminal, RStudio or a notebook, and as plain lines (after a couple of
# seconds, now and then) under Rscript, knitr or into a log file.
progress_bar <- function(total) {
  loss <- NA_real_
  val <- ""
  format <- "iteration {cli::pb_current}/{cli::pb_total}  loss {sprintf('%.4f', loss)}{val}  {cli::pb_elapsed}"
  bar <- cli::cli_progress_bar(total = total, format = format, format_done = format, clear = FALSE,
                               auto_terminate = FALSE, .auto_close = FALSE)
  list(
    update = function(i, value) {
      loss <<- value
      cli::cli_progress_update(id = bar, set = i)
    },
    done = function(history = NULL) {
      if (!is.null(history) && length(history$val_accuracy)) {
        val <<- sprintf("  val_accuracy %.4f", utils::tail(history$val_accuracy, 1))
      }
      cli::cli_progress_done(id = bar, result = if (is.null(history)) "failed" else "done")
    }
  )
}

# validation_data: NULL, or list(x_val, y_val), each converted as x and y are.
as_validation_data <- function(value, name) {
  if (is.null(value)) return(NULL)
  if (!is.list(value) || is.data.frame(value) || inherits(value, "python.builtin.object") || length(value) != 2) {
    stop_input("%s must be list(x_val, y_val): validation sequences and labels, given as x and y are; got %s",
               name, if (is.list(value) && !is.data.frame(value)) sprintf("a list of length %d", length(value))
               else describe(value))
  }
  reticulate::tuple(as_sequences(value[[1]], "validation x"), as_labels(value[[2]], "validation y"))
}

# The arguments of the training, evaluation and prediction functions.
TRAINING_ARGS <- list(model = check_model, x = as_sequences, y = as_labels, yhat = as_scores, lr = as_number,
                      batch = as_int, iteration = as_optional_int, seed = as_optional_int, epochs = as_optional_int,
                      clipnorm = as_optional_number, callback = as_callback, checkpoint = as_optional_path,
                      checkpoint_every = as_int, resume = as_flag, probabilities = as_flag, backend = as_string,
                      validation_data = as_validation_data, validate_every = as_int,
                      patience = as_optional_int, restore_best = as_flag, log_dir = as_optional_path)

#' Accuracy and cost of a model on labelled data
#'
#' The cookbook's validation step: the accuracy of the model's predictions
#' ([eval_acc()]) and the cost (the softmax cross-entropy that training
#' minimises), in one pass over the data.
#'
#' @inheritParams train_rnn
#' @param model A model from [rnn()], [bidirectionRNN()], [stacked_rnn()],
#'   [lstm()] or [load_rnn()].
#' @param x Sequences, as for [train_rnn()].
#' @param y Labels, as for [train_rnn()].
#' @return A list: `accuracy` (share of rows classified right), `cost` (mean
#'   softmax cross-entropy, the cookbook's `cost`) and `n` (rows).
#' @export
#' @examplesIf pyrnn_available()
#' mnist <- read_data_sets("sample")
#' model <- rnn(seed = 1)
#' evaluate_rnn(model, reduceImage(mnist$test$images), mnist$test$labels)
evaluate_rnn <- function(model, x, y, backend = "auto") {
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
#' @inheritParams train_rnn
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
predict_rnn <- function(model, x, probabilities = FALSE, backend = "auto") {
  result <- call_python(pyrnn_tf()$predict_rnn, capture_args(TRAINING_ARGS))
  if (length(dim(result)) == 2) unname(result) else as.integer(result)
}

#' @rdname predict_rnn
#' @importFrom stats predict
#' @export
predict.pyrnn_model <- function(object, newdata, type = c("class", "prob"), backend = "auto", ...) {
  type <- match.arg(type)
  predict_rnn(object, newdata, probabilities = type == "prob", backend = backend)
}
