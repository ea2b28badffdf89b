# The training history: print, plot, data frame.

# A "pyrnn_history" list from the Python History.
as_history <- function(history) {
  values <- reticulate::py_to_r(reticulate::py_call(reticulate::py_get_attr(history, "to_dict")))
  values$loss <- as.numeric(unlist(values$loss))
  structure(values, class = "pyrnn_history")
}

#' @export
print.pyrnn_history <- function(x, ...) {
  n <- length(x$loss)
  cat(sprintf("pyrnn training history: %d iteration%s (lr %g, batch %d, seed %d)%s\n", n,
              if (n == 1) "" else "s", x$lr, x$batch, x$seed,
              if (is.null(x$stopped)) "" else sprintf(", stopped: %s", x$stopped)))
  if (n > 0) {
    cat(sprintf("  training loss: first %.4f, last %.4f, lowest %.4f\n", x$loss[[1]], x$loss[[n]],
                min(x$loss)))
    cat(sprintf("  %.1f s, %s sequences per second\n", x$seconds,
                format(round(x$sequences_per_second), big.mark = ",")))
  }
  invisible(x)
}

#' Convergence plot of a training run
#'
#' Draws the training loss of every iteration with base graphics, like the
#' cookbook's convergence plots.
#'
#' @param x A "pyrnn_history" from [train_rnn()].
#' @param main,xlab,ylab Title and axis labels.
#' @param ... Passed to [graphics::plot()].
#' @return `x`, invisibly.
#' @export
#' @examplesIf pyrnn_available()
#' mnist <- read_data_sets("sample")
#' model <- rnn(n.hidden = 32, seed = 1)
#' history <- train_rnn(model, reduceImage(mnist$train$images), mnist$train$labels,
#'                      batch = 100, iteration = 10, seed = 1)
#' plot(history)
plot.pyrnn_history <- function(x, main = "Convergence of the training loss", xlab = "iteration",
                               ylab = "training loss (cross-entropy)", ...) {
  graphics::plot(seq_along(x$loss), x$loss, type = "l", main = main, xlab = xlab, ylab = ylab, ...)
  invisible(x)
}

#' @export
as.data.frame.pyrnn_history <- function(x, ...) {
  data.frame(iteration = seq_along(x$loss), loss = x$loss)
}
