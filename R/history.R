# The training history: print, summary, plot, data frame.

# A "pyrnn_history" list from the Python History: `loss` a numeric vector, the
# validation checks (`val_iteration` integer, `val_loss`, `val_accuracy`
# numeric, of equal length; empty without validation), `best_iteration` and
# `stopped` NULL when there are none.
as_history <- function(history) {
  values <- reticulate::py_to_r(reticulate::py_call(reticulate::py_get_attr(history, "to_dict")))
  # a seed goes up to 2^32 - 1, beyond R's integers, which reticulate would wrap: read back as a double
  values$seed <- as.numeric(reticulate::py_str(reticulate::py_get_attr(history, "seed")))
  values$loss <- as.numeric(unlist(values$loss))
  values$val_iteration <- as.integer(unlist(values$val_iteration))
  values$val_loss <- as.numeric(unlist(values$val_loss))
  values$val_accuracy <- as.numeric(unlist(values$val_accuracy))
  if (!is.null(values$best_iteration)) values$best_iteration <- as.integer(values$best_iteration)
  structure(values, class = "pyrnn_history")
}

# The validation check with the lowest loss (history$best_iteration), as its
# position in val_iteration; NULL without validation checks.
best_check <- function(x) {
  if (!length(x$val_loss)) return(NULL)
  k <- if (is.null(x$best_iteration)) integer(0) else match(x$best_iteration, x$val_iteration)
  if (!length(k) || is.na(k)) which.min(x$val_loss) else k
}

#' @export
print.pyrnn_history <- function(x, ...) {
  n <- length(x$loss)
  cat(sprintf("pyrnn training history: %d iteration%s (lr %g, batch %d, seed %.0f)%s\n", n,
              if (n == 1) "" else "s", x$lr, x$batch, x$seed,
              if (is.null(x$stopped)) "" else sprintf(", stopped: %s", x$stopped)))
  if (n > 0) {
    cat(sprintf("  training loss: first %.4f, last %.4f, lowest %.4f\n", x$loss[[1]], x$loss[[n]],
                min(x$loss)))
  }
  checks <- length(x$val_loss)
  if (checks > 0) {
    best <- best_check(x)
    cat(sprintf("  validation (%d check%s): last loss %.4f, accuracy %.4f (iteration %d); best loss %.4f at iteration %d\n",
                checks, if (checks == 1) "" else "s", x$val_loss[[checks]], x$val_accuracy[[checks]],
                x$val_iteration[[checks]], x$val_loss[[best]], x$val_iteration[[best]]))
  }
  if (identical(x$stopped, "early stopping")) {
    cat(sprintf("  early stopping after %d of %s: no lower validation loss since iteration %d\n", n,
                asked(x), x$val_iteration[[best_check(x)]]))
  }
  if (n > 0) {
    cat(sprintf("  %.1f s (%.1f s of it validation), %s sequences per second of training\n", x$seconds,
                x$validation_seconds, format(round(x$sequences_per_second), big.mark = ",")))
  }
  invisible(x)
}

# What the run asked for: "100 iterations" or "3 epochs".
asked <- function(x) {
  if (is.null(x$epochs)) sprintf("%d iterations", as.integer(x$iteration)) else sprintf("%d epochs", as.integer(x$epochs))
}

#' Summary of a training run
#'
#' `summary()` sums up a "pyrnn_history": the iterations done and asked for,
#' the final training loss, the best validation check, the time and the
#' training speed. [plot.pyrnn_history()] draws the curves.
#'
#' @param object A "pyrnn_history" from [train_rnn()].
#' @param x A "summary.pyrnn_history".
#' @param ... Not used.
#' @return `summary()`: a list of class "summary.pyrnn_history" with
#'   `iterations_done`, `iterations_asked` (`NA` for a run of `epochs`),
#'   `epochs`, `final_loss`, `best_val_loss`, `best_val_accuracy` and
#'   `best_iteration` (the validation check with the lowest loss; `NA`
#'   without validation), `val_checks`, `seconds`, `sequences_per_second` and
#'   `stopped` (`NA`, "early stopping" or "interrupted"). `print()` shows it
#'   and returns it invisibly.
#' @export
#' @examplesIf pyrnn_available()
#' mnist <- read_data_sets("sample")
#' model <- rnn(n.hidden = 16, seed = 1)
#' history <- train_rnn(model, reduceImage(mnist$train$images[1:500, ]), mnist$train$labels[1:500, ],
#'                      batch = 50, iteration = 20, seed = 1,
#'                      validation_data = list(reduceImage(mnist$test$images[1:200, ]),
#'                                             mnist$test$labels[1:200, ]),
#'                      validate_every = 5)
#' summary(history)
summary.pyrnn_history <- function(object, ...) {
  n <- length(object$loss)
  best <- best_check(object)
  structure(class = "summary.pyrnn_history", list(
    iterations_done = n,
    iterations_asked = if (is.null(object$epochs)) as.integer(object$iteration) else NA_integer_,
    epochs = if (is.null(object$epochs)) NA_integer_ else as.integer(object$epochs),
    final_loss = if (n) object$loss[[n]] else NA_real_,
    best_val_loss = if (is.null(best)) NA_real_ else object$val_loss[[best]],
    best_val_accuracy = if (is.null(best)) NA_real_ else object$val_accuracy[[best]],
    best_iteration = if (is.null(best)) NA_integer_ else object$val_iteration[[best]],
    val_checks = length(object$val_loss),
    seconds = object$seconds,
    validation_seconds = object$validation_seconds,
    sequences_per_second = object$sequences_per_second,
    stopped = if (is.null(object$stopped)) NA_character_ else object$stopped))
}

#' @rdname summary.pyrnn_history
#' @export
print.summary.pyrnn_history <- function(x, ...) {
  done <- if (is.na(x$epochs)) sprintf("%d of %d", x$iterations_done, x$iterations_asked)
          else sprintf("%d (%d epochs asked)", x$iterations_done, x$epochs)
  cat("pyrnn training run\n")
  cat(sprintf("  iterations:           %s%s\n", done,
              if (is.na(x$stopped)) "" else sprintf(", stopped: %s", x$stopped)))
  cat(sprintf("  final training loss:  %.4f\n", x$final_loss))
  if (x$val_checks > 0) {
    cat(sprintf("  best validation:      loss %.4f, accuracy %.4f at iteration %d (%d check%s)\n",
                x$best_val_loss, x$best_val_accuracy, x$best_iteration, x$val_checks,
                if (x$val_checks == 1) "" else "s"))
  } else {
    cat("  validation:           none (train_rnn(validation_data = list(x_val, y_val)) adds it)\n")
  }
  cat(sprintf("  time:                 %.1f s (%.1f s of it validation), %s sequences per second of training\n",
              x$seconds, x$validation_seconds,
              if (is.finite(x$sequences_per_second)) format(round(x$sequences_per_second), big.mark = ",")
              else "NA"))
  invisible(x)
}

#' Convergence plot of a training run
#'
#' Draws the training loss of every iteration with base graphics, like the
#' cookbook's convergence plots. A run with validation checks adds the
#' validation loss at each check (dashed, with points) on the same axis and
#' the validation accuracy on a right-hand axis, with a legend.
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
#'                      batch = 100, iteration = 10, seed = 1,
#'                      validation_data = list(reduceImage(mnist$test$images[1:500, ]),
#'                                             mnist$test$labels[1:500, ]),
#'                      validate_every = 5)
#' plot(history)
plot.pyrnn_history <- function(x, main = "Convergence of the training loss", xlab = "iteration",
                               ylab = "loss (cross-entropy)", ...) {
  if (!length(x$loss)) stop("the history holds no iterations: nothing to plot", call. = FALSE)
  validated <- length(x$val_loss) > 0
  if (!validated) {
    graphics::plot(seq_along(x$loss), x$loss, type = "l", main = main, xlab = xlab, ylab = ylab, ...)
    return(invisible(x))
  }
  old <- graphics::par(mar = pmax(graphics::par("mar"), c(0, 0, 0, 4.1)))
  on.exit(graphics::par(old))
  ylim <- range(x$loss, x$val_loss)
  graphics::plot(seq_along(x$loss), x$loss, type = "l", ylim = ylim, main = main, xlab = xlab, ylab = ylab, ...)
  graphics::lines(x$val_iteration, x$val_loss, type = "o", lty = 2, pch = 19, col = "firebrick")
  # validation accuracy on the right-hand axis, mapped onto the loss axis
  ticks <- pretty(x$val_accuracy)
  acc_range <- range(ticks)
  to_loss <- function(a) ylim[[1]] + (a - acc_range[[1]]) / diff(acc_range) * diff(ylim)
  graphics::lines(x$val_iteration, to_loss(x$val_accuracy), type = "o", lty = 3, pch = 17, col = "steelblue")
  graphics::axis(4, at = to_loss(ticks), labels = format(ticks), col.axis = "steelblue")
  graphics::mtext("validation accuracy", side = 4, line = 2.5, col = "steelblue")
  if (!is.null(x$best_iteration)) graphics::abline(v = x$best_iteration, col = "grey60", lty = 3)
  graphics::legend("right", legend = c("training loss", "validation loss", "validation accuracy (right axis)"),
                   lty = c(1, 2, 3), pch = c(NA, 19, 17), col = c("black", "firebrick", "steelblue"),
                   bg = "white", box.col = "grey80", cex = 0.85)
  invisible(x)
}

#' @export
as.data.frame.pyrnn_history <- function(x, ...) {
  at <- match(seq_along(x$loss), x$val_iteration)
  data.frame(iteration = seq_along(x$loss), loss = x$loss, val_loss = x$val_loss[at],
             val_accuracy = x$val_accuracy[at])
}
