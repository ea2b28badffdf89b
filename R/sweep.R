# Sweeps and run lists: thin wrappers over pyrnn.sweep and pyrnn.runlist.

#' Train a grid of recipe runs and rank them on validation
#'
#' Trains one recipe run for each point of a grid of settings (or `trials`
#' points sampled by Optuna's TPE with `search = "tpe"`), each in its own run
#' folder under `out`, as `pyrnn recipe` leaves it. Trials are ranked on the
#' validation images; the test images are scored only for the chosen trials
#' (the best of each recipe, and the best overall). The study lives in
#' `out/sweep.db`, or in `storage` (e.g. a PostgreSQL URL) shared by several
#' machines running the same sweep. Running the same sweep again trains only
#' what is missing; a trial that diverges is recorded as failed.
#'
#' @param recipes Recipes: any of "basic", "bidirectional", "stacked", "lstm".
#' @param lr,n_hidden,batch,iteration,epochs,num_layers,cell,input_gain,clipnorm
#'   A value or a vector of values of each setting (`NULL`: the recipe's
#'   default); with `search = "tpe"` a range such as `"0.001:0.1:log"`.
#'   `num_layers` and `cell` apply to the stacked recipe only.
#' @param seeds Seeds, e.g. `0:2`.
#' @param data "auto", "sample" or a folder of MNIST files.
#' @param out The sweep folder (new, empty, or a sweep pyrnn wrote).
#' @param workers Processes training at once (`NULL`: one, the fastest on a
#'   2-core machine).
#' @param storage An Optuna storage URL shared by several machines, or `NULL`.
#' @param study The study's name in the storage (default: `out`'s name).
#' @param search "grid" or "tpe".
#' @param trials Trials of a sampled search.
#' @param prune Stop trials whose validation loss at a check is worse than the
#'   median of earlier trials there (Optuna's median pruner).
#' @param validate_every Iterations between validation checks.
#' @param verbose Print a line per trial.
#' @return A data.frame of class `pyrnn_sweep`, one row per trial, best
#'   validation accuracy first; `attr(, "chosen")` holds the chosen trials
#'   with their test accuracy, scored only once every trial is done
#'   (`attr(, "scored")`: `FALSE` after an interruption, the test accuracy
#'   then `NA`). It has `print`, `summary` and `plot` methods.
#' @seealso [ls_runs()]; `pyrnn sweep --help` on the command line.
#' @export
#' @examplesIf pyrnn_available()
#' runs <- sweep_rnn(recipes = c("basic", "lstm"), lr = c(0.01, 0.03), seeds = 0, iteration = 10,
#'                   batch = 100, data = "sample", out = file.path(tempdir(), "sweep"))
#' runs
#' summary(runs)
sweep_rnn <- function(recipes = c("basic", "bidirectional", "stacked", "lstm"), lr = NULL, seeds = 0,
                      n_hidden = NULL, batch = NULL, iteration = NULL, epochs = NULL, num_layers = NULL,
                      cell = NULL, input_gain = NULL, clipnorm = NULL, data = "auto", out = "runs/sweep",
                      workers = NULL, storage = NULL, study = NULL, search = "grid", trials = NULL,
                      prune = FALSE, validate_every = NULL, verbose = TRUE) {
  whole <- function(value, name) as_values(value, name, whole = TRUE)
  args <- capture_args(list(
    recipes = function(value, name) as.list(as_values(value, name)), lr = as_values, seeds = whole,
    n_hidden = whole, batch = whole, iteration = whole, epochs = whole, num_layers = whole, cell = as_values,
    input_gain = as_values, clipnorm = as_values, data = as_path, out = as_path, workers = as_optional_int,
    storage = function(value, name) if (is.null(value)) NULL else as_string(value, name),
    study = function(value, name) if (is.null(value)) NULL else as_string(value, name),
    search = as_string, trials = as_optional_int, prune = as_flag, validate_every = as_optional_int,
    verbose = as_flag))
  result <- call_python(python_module("pyrnn.sweep", tensorflow = TRUE)$sweep_rnn, args)
  rows <- rows_frame(result$rows, c(unlist(python_module("pyrnn.sweep")$SWEPT), "state", "val_accuracy",
                                    "val_cost", "seconds", "folder"))
  chosen <- result$chosen
  chosen_frame <- rows_frame(unname(chosen), c("recipe", "val_accuracy", "test_accuracy", "test_cost", "folder"))
  if (nrow(chosen_frame)) chosen_frame <- cbind(chosen = names(chosen), chosen_frame)
  structure(rows, class = c("pyrnn_sweep", "data.frame"), chosen = chosen_frame, scored = result$scored,
            swept = unlist(result$swept), out = reticulate::py_str(result$out))
}

#' List the runs under a folder
#'
#' One row per recipe run folder under `folder`, at any depth (a sweep's
#' trials and a comparison's recipes too): recipe, settings, date, validation
#' and test accuracy, training seconds and state ("finished", "pruned": a
#' sweep's trial its pruner stopped, "interrupted", "damaged"). Folders that
#' are not runs are skipped.
#'
#' @param folder The folder to look in.
#' @param order The column to sort by: "date" (newest first, the default),
#'   "val_accuracy", "test_accuracy" (best first), or another (ascending).
#' @return A data.frame.
#' @seealso [sweep_rnn()]
#' @export
#' @examplesIf pyrnn_available()
#' out <- file.path(tempdir(), "ls-runs-example")
#' sweep_rnn(recipes = "basic", lr = c(0.01, 0.03), iteration = 5, batch = 50, data = "sample",
#'           out = out, verbose = FALSE)
#' ls_runs(out)
#' ls_runs(out, order = "val_accuracy")
ls_runs <- function(folder = "runs", order = "date") {
  args <- capture_args(list(folder = as_path, order = as_string))
  module <- python_module("pyrnn.runlist")
  rows_frame(call_python(module$ls_runs, args), unlist(module$COLUMNS))
}

#' @export
print.pyrnn_sweep <- function(x, ...) {
  shown <- c(attr(x, "swept"), "state", "val_accuracy", "val_cost", "seconds")
  print(as.data.frame(unclass(x))[, shown, drop = FALSE], row.names = FALSE)
  cat("\nChosen on validation accuracy; the test images are scored for these trials only",
      if (isTRUE(attr(x, "scored"))) ":\n" else ", once every trial is done (the choice may change until then):\n",
      sep = "")
  chosen <- attr(x, "chosen")
  print(chosen[, setdiff(names(chosen), "folder"), drop = FALSE], row.names = FALSE)
  invisible(x)
}

#' @export
summary.pyrnn_sweep <- function(object, ...) {
  states <- table(object$state)
  cat(sprintf("%d trials (%s) in %s\n", nrow(object),
              paste(sprintf("%d %s", as.integer(states), names(states)), collapse = ", "), attr(object, "out")))
  invisible(attr(object, "chosen"))
}

#' @export
plot.pyrnn_sweep <- function(x, ...) {
  swept <- setdiff(attr(x, "swept"), c("recipe", "seed"))
  by <- if (length(swept)) swept[[1]] else "recipe"
  done <- x[x$state == "complete", , drop = FALSE]
  means <- stats::aggregate(done$val_accuracy, list(recipe = done$recipe, value = done[[by]]), mean)
  graphics::plot(means$value, means$x, type = "n", xlab = by, ylab = "validation accuracy",
                 main = sprintf("Sweep: validation accuracy by %s (points: each trial)", by))
  recipes <- unique(means$recipe)
  for (k in seq_along(recipes)) {
    one <- means[means$recipe == recipes[[k]], ]
    graphics::lines(one$value, one$x, col = k, type = "b")
    graphics::points(done[[by]][done$recipe == recipes[[k]]], done$val_accuracy[done$recipe == recipes[[k]]],
                     col = k, pch = 3)
  }
  graphics::legend("bottomright", legend = recipes, col = seq_along(recipes), lty = 1, bty = "n")
  invisible(x)
}

# A setting's values for Python: a list (a range "low:high[:log]" stays text).
as_values <- function(value, name, whole = FALSE) {
  if (is.null(value)) return(NULL)
  if (is.character(value) && length(value) == 1 && grepl(":", value)) return(value)
  if (!length(value) || anyNA(value)) stop_input("%s must be one or more values without NA, got %s", name,
                                                 show_value(value))
  if (whole) return(lapply(value, as_int, name = name))
  if (is.numeric(value)) as.list(as.double(value)) else as.list(as.character(value))
}

# A list of Python dicts as a data.frame with `columns` (NULL -> NA).
rows_frame <- function(rows, columns) {
  frame <- lapply(stats::setNames(columns, columns), function(column) {
    values <- lapply(rows, function(row) if (is.null(row[[column]])) NA else row[[column]])
    unlist(values)
  })
  as.data.frame(frame, stringsAsFactors = FALSE)
}
