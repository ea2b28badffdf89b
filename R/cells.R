# The basic RNN cell written by hand, beside the library's, and a worked example.

#' The basic RNN cell by hand
#'
#' `cell_forward()` runs the basic cell
#' \eqn{h_t = \tanh([x_t, h_{t-1}] W + b)}{h_t = tanh([x_t, h_(t-1)] W + b)}
#' (TensorFlow 1's BasicRNNCell: the input and the previous state are
#' concatenated and multiplied by one matrix) over a batch of sequences, four
#' ways that give the same numbers: a NumPy loop, plain TensorFlow ops
#' unrolled in Python ("static") or in a graph loop ("dynamic"), and Keras'
#' SimpleRNN holding the same weights (`W` split into the input rows and the
#' state rows).
#'
#' `worked_example()` is a network small enough to follow by hand (2 inputs,
#' 2 hidden units, 1 output, tanh, 3 time steps, fixed weights); printing it
#' shows every intermediate value as a table.
#'
#' @param x Inputs: a batch x steps x n_input array.
#' @param W Weights: an (n_input + n_hidden) x n_hidden matrix, the rows for
#'   the input first, then those for the state.
#' @param b Biases: n_hidden numbers.
#' @param h0 Initial state (batch x n_hidden), or `NULL` for zeros.
#' @param backend "numpy", "tf" (hand-written, TensorFlow ops) or "keras"
#'   (the library's SimpleRNN).
#' @param mode "static" (unrolled) or "dynamic" (a graph loop).
#' @return `cell_forward()`: a list with `outputs` (batch x steps x n_hidden)
#'   and `final_state` (batch x n_hidden). `worked_example()`: a list of class
#'   "pyrnn_worked_example" with the weights (`W`, `b`, `V`, `c`) and `steps`
#'   (per time step: `t`, `x_t`, `h_prev`, `concat`, `pre_activation`, `h_t`,
#'   `output`).
#' @export
#' @examplesIf pyrnn_available()
#' worked_example()
#' x <- array(rnorm(2 * 5 * 3), c(2, 5, 3))
#' W <- matrix(rnorm(8 * 5, sd = 0.5), 8, 5)
#' b <- rnorm(5, sd = 0.1)
#' by_hand <- cell_forward(x, W, b)
#' library_cell <- cell_forward(x, W, b, backend = "keras", mode = "dynamic")
#' max(abs(by_hand$outputs - library_cell$outputs))
cell_forward <- function(x, W, b, h0 = NULL, backend = "numpy", mode = "static") {
  args <- capture_args(list(
    x = function(x, name) as_numbers(x, name, "a batch x steps x n_input array"),
    W = function(W, name) as_numbers(W, name, "an (n_input + n_hidden) x n_hidden matrix"),
    b = function(b, name) as_1d(as.vector(as_numbers(b, name, "n_hidden biases"))),
    h0 = function(h0, name) if (is.null(h0)) NULL else as_numbers(h0, name, "a batch x n_hidden matrix"),
    backend = as_string, mode = as_string))
  # the NumPy pass runs without TensorFlow
  result <- call_python(python_module("pyrnn.cells", tensorflow = !identical(backend, "numpy"))$cell_forward,
                        args)
  list(outputs = result[[1]], final_state = result[[2]])
}

#' @rdname cell_forward
#' @export
worked_example <- function() {
  module <- python_module("pyrnn.cells")
  example <- with_py_errors(reticulate::py_call(reticulate::py_get_attr(module, "worked_example")))
  values <- reticulate::py_to_r(example)
  values$W <- do.call(rbind, values$W)
  values$steps <- lapply(values$steps, function(step) lapply(step, unlist))
  structure(values, class = "pyrnn_worked_example",
            table = with_py_errors(module$format_worked_example(example)))
}

#' @export
print.pyrnn_worked_example <- function(x, ...) {
  cat(attr(x, "table"), "\n", sep = "")
  invisible(x)
}
