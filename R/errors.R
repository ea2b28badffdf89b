# Python exceptions as R errors, told apart by the exception object.
#
# A pyrnn.errors.PyrnnError (a ValueError; its subclasses are also
# FileNotFoundError, FileExistsError, ...) is the user's: what was given
# cannot be used, and the message says the way out. It becomes an R error of
# class "pyrnn_error" with just that message. Any other exception (a bug in
# pyrnn, TensorFlow or NumPy, or the machine's: a full disk) becomes an error
# of class "pyrnn_python_error" that keeps the Python type in its message and
# says where the traceback is. An error of the user's own R callback, raised
# while Python ran, stays the user's: class "pyrnn_callback_error".

# Evaluate `expr`, a call into Python, turning a Python exception into one of
# the R errors above, with the Python type name in `python_type`. A diverged
# training run (pyrnn.history.TrainingDiverged, a PyrnnError) also carries the
# iterations done, as `history` (a pyrnn_history), and class
# "pyrnn_diverged". R errors (from R code run inside, such as a converter)
# pass unchanged.
with_py_errors <- function(expr) {
  reticulate::py_clear_last_error()
  .state$callback_error <- NULL
  tryCatch(expr, error = function(e) stop(as_pyrnn_error(e)))
}

as_pyrnn_error <- function(e) {
  if (inherits(e, c("pyrnn_error", "pyrnn_python_error", "pyrnn_callback_error"))) return(e) # already converted
  failed <- callback_error()
  if (!is.null(failed)) return(failed)
  last <- reticulate::py_last_error()
  exception <- if (is.null(last)) NULL else attr(last, "exception")
  if (is.null(exception)) return(e) # not raised in Python
  builtins <- reticulate::import_builtins()
  if (builtins$isinstance(exception, python_module("pyrnn.errors")$PyrnnError)) {
    history <- diverged_history(exception)
    return(structure(class = c(if (!is.null(history)) "pyrnn_diverged", "pyrnn_error", "error", "condition"),
                     list(message = r_words(last$value), call = NULL, python_type = last$type,
                          history = history)))
  }
  message <- sprintf("%s: %s (run reticulate::py_last_error() for the Python traceback)", last$type,
                     trimws(last$value))
  structure(class = c("pyrnn_python_error", "error", "condition"),
            list(message = message, call = NULL, python_type = last$type))
}

# The error an R callback raised while Python ran (as_callback keeps it), as an
# R error of class "pyrnn_callback_error" carrying the callback's own
# condition as `parent`; NULL if none did. Taken once.
callback_error <- function() {
  failed <- .state$callback_error
  if (is.null(failed)) return(NULL)
  .state$callback_error <- NULL
  structure(class = c("pyrnn_callback_error", "error", "condition"),
            list(message = sprintf("%s failed: %s", failed$name, conditionMessage(failed$error)), call = NULL,
                 parent = failed$error))
}

# The history carried by a TrainingDiverged exception, else NULL.
diverged_history <- function(exception) {
  if (!inherits(exception, "pyrnn.history.TrainingDiverged")) return(NULL)
  tryCatch(as_history(reticulate::py_get_attr(exception, "history")), error = function(e) NULL)
}

# A pyrnn message, written for Python and R alike, in R's spelling: TRUE,
# FALSE, NULL, Inf, NaN; -1 for -1.0; `name = value`; "text" for 'text'; list(x_val, y_val)
# for the pair (x_val, y_val). A name inside a path (/tmp/a=b) is left alone.
r_words <- function(message) {
  words <- c(True = "TRUE", False = "FALSE", None = "NULL", inf = "Inf", nan = "NaN")
  for (python in names(words)) {
    message <- gsub(sprintf("(?<![\\w.'])%s(?![\\w'])", python), words[[python]], message, perl = TRUE)
  }
  message <- gsub("=\\((x_val, y_val)\\)", "=list(\\1)", message, perl = TRUE)
  # a whole number as R prints it: Python's float -1.0 is R's -1 (not inside a path or version)
  message <- gsub("(?<![\\w./-])(-?\\d+)\\.0(?![\\w./])", "\\1", message, perl = TRUE)
  message <- gsub("(?<![\\w/.-])([A-Za-z_]\\w*)=(?=[-\\w.'(\\[])", "\\1 = ", message, perl = TRUE)
  gsub("(?<![\\w])'([^'\n]*)'(?![\\w])", "\"\\1\"", message, perl = TRUE)
}
