# The cookbook's four RNN builders.

#' Build the cookbook's recurrent networks
#'
#' Each builder returns a Keras model (class "pyrnn_model") that maps a batch
#' of sequences, `step_size` steps of `n_input` numbers each (16 x 16 for the
#' reduced MNIST digits), to `n.class` scores (logits): a recurrent part, then
#' a linear output layer on the last step's output, as in the cookbook.
#'
#' * `rnn()`: a basic tanh RNN (TensorFlow 1's BasicRNNCell).
#' * `bidirectionRNN()`: a forward and a backward basic RNN; their last outputs,
#'   concatenated, feed the output layer.
#' * `stacked_rnn()`: `num_layers` recurrent layers (GRU by default, as the
#'   cookbook's deep RNN), each with its own weights.
#' * `lstm()`: a long short-term memory network (BasicLSTMCell), with
#'   `forget_bias` on the forget gate.
#'
#' Sizes take the cookbook's names (`n.hidden`, `n.class`) or the Python
#' ones (`n_hidden`, `n_class`).
#'
#' @param n.hidden,n_hidden Number of hidden units of each recurrent layer.
#' @param n.class,n_class Number of classes (outputs).
#' @param step_size Number of time steps of each sequence (rows of an image).
#' @param n_input Number of inputs at each step (columns of an image).
#' @param input_gain Scale of the initial input weights of the layer that
#'   reads the pixels, relative to Keras' Glorot-uniform draw (1 is Keras'
#'   default). Pixels in \[0, 1\] have an RMS of about 0.34, a third of the
#'   unit scale Glorot assumes; a gain of 3 restores it. It raises the accuracy
#'   of `bidirectionRNN()`, `stacked_rnn()` and `lstm()`, whose default is 3,
#'   and lowers that of `rnn()`, which keeps 1.
#' @param seed A whole number making the initial weights reproducible, or
#'   `NULL`.
#' @return A model of class "pyrnn_model" (a Keras model), for [train_rnn()],
#'   [evaluate_rnn()], [predict.pyrnn_model()] and [save_rnn()].
#' @seealso The four as the cookbook trains them: `demo("basic", package = "pyrnn")`
#'   (and `"bidirectional"`, `"stacked"`, `"lstm"`), and with their convergence
#'   plots side by side, `vignette("chapter6", package = "pyrnn")`.
#' @export
#' @examplesIf pyrnn_available()
#' model <- rnn(n.hidden = 64, n.class = 10, step_size = 16, n_input = 16)
#' model
#' deep <- stacked_rnn(num_layers = 3, cell = "gru", n_hidden = 32)
rnn <- function(n.hidden = 64, n.class = 10, step_size = 16, n_input = 16, input_gain = 1, seed = NULL,
                n_hidden = NULL, n_class = NULL) {
  build_model("rnn", capture_args(MODEL_ARGS, rename = SIZE_ALIASES))
}

#' @rdname rnn
#' @export
bidirectionRNN <- function(n.hidden = 64, n.class = 10, step_size = 16, n_input = 16, input_gain = 3,
                           seed = NULL, n_hidden = NULL, n_class = NULL) {
  build_model("bidirectionRNN", capture_args(MODEL_ARGS, rename = SIZE_ALIASES))
}

#' @rdname rnn
#' @param num_layers Number of stacked recurrent layers.
#' @param cell Recurrent cell of `stacked_rnn()`: "gru" (the cookbook's),
#'   "lstm" or "basic".
#' @export
stacked_rnn <- function(num_layers = 3, cell = "gru", n.hidden = 64, n.class = 10, step_size = 16,
                        n_input = 16, input_gain = 3, seed = NULL, n_hidden = NULL, n_class = NULL) {
  build_model("stacked_rnn", capture_args(MODEL_ARGS, rename = SIZE_ALIASES))
}

#' @rdname rnn
#' @param forget_bias Initial bias of the LSTM's forget gate (1.0 keeps the
#'   memory open early in training).
#' @export
lstm <- function(n.hidden = 64, n.class = 10, step_size = 16, n_input = 16, forget_bias = 1.0,
                 input_gain = 3, seed = NULL, n_hidden = NULL, n_class = NULL) {
  build_model("lstm", capture_args(MODEL_ARGS, rename = SIZE_ALIASES))
}

# The builders' arguments: converters, and the cookbook's names of the sizes.
MODEL_ARGS <- list(n.hidden = as_int, n_hidden = as_int, n.class = as_int, n_class = as_int, step_size = as_int,
                   n_input = as_int, num_layers = as_int, cell = as_string, forget_bias = as_number,
                   input_gain = as_number, seed = as_optional_int)
SIZE_ALIASES <- c(n.hidden = "n_hidden", n.class = "n_class")

build_model <- function(builder, args) {
  as_pyrnn_model(call_python(pyrnn_tf()[[builder]], args))
}

as_pyrnn_model <- function(model) {
  class(model) <- unique(c("pyrnn_model", class(model)))
  model
}

check_model <- function(model, name = "model") {
  if (!inherits(model, "pyrnn_model")) {
    stop_input("%s must be a model from rnn(), bidirectionRNN(), stacked_rnn(), lstm() or load_rnn(), got %s",
               name, describe(model))
  }
  model
}

# step_size, n_input and n_class of a model, as R integers.
model_shape <- function(model) {
  shape <- with_py_errors(python_module("pyrnn.arrays")$model_shape(model))
  stats::setNames(as.integer(unlist(shape)), c("step_size", "n_input", "n_class"))
}

#' @export
print.pyrnn_model <- function(x, ...) {
  shape <- model_shape(x)
  cat(sprintf("<pyrnn model '%s': %d steps x %d inputs -> %d classes, %s weights>\n",
              x$name, shape[["step_size"]], shape[["n_input"]], shape[["n_class"]],
              format(x$count_params(), big.mark = ",")))
  invisible(x)
}

#' Summary and structure of a model
#'
#' `summary()` prints Keras' summary of a model: each layer with its type,
#' output shape and number of weights, then the totals. `str()` gives the same
#' compactly: the input shape (steps x inputs), the number of classes and the
#' weights, then one line per layer.
#'
#' @param object A model from [rnn()], [bidirectionRNN()], [stacked_rnn()],
#'   [lstm()] or [load_rnn()].
#' @param ... Not used.
#' @return `summary()` returns, invisibly, a data frame with one row per layer:
#'   `layer` (name), `type` (Keras class), `output_shape` ("N x 64": N rows of
#'   64) and `params` (number of weights). `str()` returns `NULL`, invisibly.
#' @export
#' @examplesIf pyrnn_available()
#' model <- lstm(n.hidden = 32)
#' summary(model)
#' str(model)
summary.pyrnn_model <- function(object, ...) {
  text <- character()
  with_py_errors(object$summary(print_fn = function(x, ...) {
    text <<- c(text, x)
    NULL
  }))
  cat(sub("\n$", "", paste(text, collapse = "\n")), "\n", sep = "")
  invisible(model_layers(object))
}

#' @rdname summary.pyrnn_model
#' @exportS3Method utils::str pyrnn_model
str.pyrnn_model <- function(object, ...) {
  shape <- model_shape(object)
  layers <- model_layers(object)
  cat(sprintf("pyrnn model '%s': input N x %d x %d (%d steps x %d inputs) -> %d classes, %s weights\n",
              object$name, shape[["step_size"]], shape[["n_input"]], shape[["step_size"]], shape[["n_input"]],
              shape[["n_class"]], format(object$count_params(), big.mark = ",")))
  params <- format(layers$params, big.mark = ",")
  cat(sprintf(" $ %s: %s %s %s weights\n", format(layers$layer), format(layers$type),
              format(layers$output_shape), format(params, justify = "right")), sep = "")
  invisible(NULL)
}

# One row per layer of a model: name, Keras class, output shape ("N x 64", N
# for the batch) and number of weights.
model_layers <- function(model) {
  layers <- with_py_errors(model$layers)
  output_shape <- function(layer) {
    shape <- tryCatch(layer$output$shape, error = function(e) NULL)
    if (is.null(shape)) return(NA_character_)
    paste(vapply(shape, function(size) if (is.null(size)) "N" else format(size), ""), collapse = " x ")
  }
  data.frame(layer = vapply(layers, function(layer) layer$name, ""),
             type = vapply(layers, function(layer) sub("^.*\\.", "", class(layer)[[1]]), ""),
             output_shape = vapply(layers, output_shape, ""),
             params = vapply(layers, function(layer) as.integer(layer$count_params()), 0L),
             stringsAsFactors = FALSE)
}
