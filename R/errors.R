# Python exceptions as clean R errors.

# Python exception types whose message says everything: their type name is
# dropped from the R error. Others keep it ("RuntimeError: ...").
PLAIN_PYTHON_ERRORS <- c("ValueError", "FileNotFoundError", "TypeError", "TrainingDiverged")

# Evaluate `expr`, a call into Python; a Python exception becomes an R error of
# class "pyrnn_error" carrying just its message (no traceback, no call), with
# the Python type in `python_type`. A diverged training run also carries the
# iterations done, as `history` (a pyrnn_history).
with_py_errors <- function(expr) {
  tryCatch(expr, error = function(e) stop(as_pyrnn_error(e)))
}

as_pyrnn_error <- function(e) {
  if (inherits(e, "pyrnn_error")) return(e)
  message <- conditionMessage(e)
  # reticulate adds pointers to the traceback after the message
  message <- sub("\n+(Detailed traceback|Run `reticulate::py_last_error\\(\\)`).*$", "", message)
  message <- trimws(message)
  type <- NA_character_
  match <- regmatches(message, regexec("^([A-Za-z_][A-Za-z0-9_.]*): (.*)$", message))[[1]]
  if (length(match) == 3 && grepl("(Error|Exception|Diverged|Interrupt)$", match[[2]])) {
    type <- sub("^.*\\.", "", match[[2]])
    if (type %in% PLAIN_PYTHON_ERRORS) message <- match[[3]]
  }
  history <- if (identical(type, "TrainingDiverged")) diverged_history() else NULL
  structure(class = c(if (!is.null(history)) "pyrnn_diverged", "pyrnn_error", "error", "condition"),
            list(message = message, call = NULL, python_type = type, history = history))
}

# The history attached to the TrainingDiverged exception just raised, if any.
diverged_history <- function() {
  tryCatch({
    exception <- attr(reticulate::py_last_error(), "exception")
    as_history(reticulate::py_get_attr(exception, "history"))
  }, error = function(e) NULL)
}
