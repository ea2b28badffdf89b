# Checking R input and converting it at the Python boundary. The wrappers
# pass Python only the arguments the user gave (capture_args()), so Python's
# defaults rule. What R can get wrong before Python sees it (NA, text,
# factors, vectors of the wrong kind, numbers that are not whole) is stopped
# here with a message saying what was expected; rules on shapes and ranges
# live in the Python core, whose messages come back through with_py_errors().

# An error in what the user gave: class "pyrnn_error", as Python's PyrnnError
# becomes (see errors.R), with just the message.
stop_input <- function(...) {
  stop(structure(class = c("pyrnn_error", "error", "condition"),
                 list(message = sprintf(...), call = NULL, python_type = NULL)))
}

describe <- function(x) {
  if (is.null(x)) return("NULL")
  if (is.factor(x)) return("a factor")
  if (is.data.frame(x)) return("a data frame")
  kind <- if (is.character(x)) "text (character)" else if (is.logical(x)) "logical" else class(x)[[1]]
  dims <- if (is.null(dim(x))) sprintf("of length %d", length(x)) else paste(dim(x), collapse = " x ")
  sprintf("%s %s", kind, dims)
}

# A numeric matrix, array or vector from what users pass as data: numeric
# matrices, arrays and vectors as they are; data frames of numeric columns as
# matrices; lists of equal-length numeric vectors as one row each.
as_numbers <- function(x, name, expected) {
  if (is.data.frame(x)) {
    numeric_cols <- vapply(x, is.numeric, logical(1))
    if (!all(numeric_cols)) {
      stop_input("%s: column(s) %s of the data frame are not numeric; expected %s",
                 name, paste(names(x)[!numeric_cols], collapse = ", "), expected)
    }
    x <- as.matrix(x)
  } else if (is.list(x) && !inherits(x, "python.builtin.object")) {
    if (!length(x) || !all(vapply(x, is.numeric, logical(1)))) {
      stop_input("%s: a list must hold numeric vectors (one row each); expected %s", name, expected)
    }
    if (length(unique(lengths(x))) != 1) {
      stop_input("%s: the list's vectors have different lengths (%s); expected %s", name,
                 paste(unique(lengths(x)), collapse = ", "), expected)
    }
    x <- do.call(rbind, unname(x))
  }
  if (!is.numeric(x)) {
    stop_input("%s must be numeric: expected %s, got %s", name, expected, describe(x))
  }
  if (!length(x)) stop_input("%s is empty; expected %s", name, expected)
  if (anyNA(x)) {
    rows <- if (is.null(dim(x))) 1L else sum(apply(is.na(x), 1, any))
    stop_input("%s contains NA or NaN (missing) values in %d row(s); remove or impute them first (%s expected)",
               name, rows, expected)
  }
  x
}

# Pixels or sequences for a model: N rows of step_size * n_input numbers (or an
# N x step_size x n_input array), sent to Python as float32.
as_sequences <- function(x, name = "x") {
  x <- as_numbers(x, name, "an N x (step_size * n_input) matrix, e.g. N x 256 for 16 x 16 images")
  if (is.null(dim(x))) x <- matrix(x, nrow = 1)
  reticulate::np_array(x, dtype = "float32")
}

# A vector (no dim) as a 1-d array: reticulate sends a length-1 R vector as a
# Python scalar, but a 1-d R array as a NumPy array of shape (N,), N = 1 too.
as_1d <- function(x) if (is.null(dim(x))) array(x) else x

# Labels: one-hot rows (N x n_class) or N class ids 0..n_class-1 (a single id
# for one row); a factor of digits counts as class ids. Class ids reach Python
# as a 1-d array.
as_labels <- function(y, name = "y") {
  expected <- "one-hot rows (N x 10) or class ids 0..9"
  if (is.factor(y)) {
    ids <- suppressWarnings(as.numeric(as.character(y)))
    if (anyNA(ids[!is.na(y)])) {
      stop_input("%s is a factor whose levels are not class numbers; expected %s", name, expected)
    }
    y <- ids
  }
  as_1d(as_numbers(y, name, expected))
}

# Predictions for eval_acc(): N x n_class scores, or N class ids (one for one
# row) reaching Python as a 1-d array.
as_scores <- function(yhat, name = "yhat") {
  as_1d(as_numbers(yhat, name, "N x n_class scores or N class ids"))
}

# The arguments the caller (an exported wrapper) was given, ready for Python:
# as keras3's capture_args, only those the user supplied (and those without a
# default, whose absence is R's usual error), so that Python's defaults and
# range checks rule. Each goes through its converter in `convert`, called as
# converter(value, name), which stops what R can get wrong before Python sees
# it (NA, text, factors, not one value, not whole); `rename` maps R names to
# Python ones (n.hidden = "n_hidden"). Where two R arguments name one Python
# argument (the cookbook's n.hidden and Python's n_hidden), the Python-named
# one left NULL counts as not given, and both given must agree. `ignore`:
# arguments the wrapper handles itself. Returns a named list for do.call().
capture_args <- function(convert, rename = character(), ignore = character()) {
  envir <- parent.frame()
  params <- formals(sys.function(sys.parent()))
  args <- list()
  given_as <- list()
  for (name in setdiff(names(params), c("...", ignore))) {
    has_default <- !identical(params[[name]], quote(expr = ))
    if (has_default && eval(call("missing", as.name(name)), envir)) next
    value <- get(name, envir = envir) # without a default and not given: R's "argument is missing" error
    if (is.null(value) && name %in% rename) next
    converter <- convert[[name]]
    if (is.null(converter)) stop(sprintf("internal error: no converter for argument '%s'", name), call. = FALSE)
    value <- converter(value, name)
    python_name <- if (name %in% names(rename)) rename[[name]] else name
    if (python_name %in% names(args)) {
      if (!identical(args[[python_name]], value)) {
        stop_input("%s and %s name the same size; give one of them (got %s and %s)", given_as[[python_name]],
                   name, show_value(args[[python_name]]), show_value(value))
      }
      next
    }
    args[python_name] <- list(value) # list(): a NULL is kept, to reach Python as None
    given_as[[python_name]] <- name
  }
  renamed <- unlist(given_as)
  attr(args, "r_names") <- renamed[renamed != names(renamed)]
  args
}

# Call the Python function `fn` with the arguments from capture_args(). Python's
# messages name the arguments as Python does: those given under an R name
# (n.hidden for n_hidden) are named as the user typed them.
call_python <- function(fn, args) {
  r_names <- attr(args, "r_names")
  tryCatch(with_py_errors(do.call(fn, args)), pyrnn_error = function(e) {
    for (python_name in names(r_names)) {
      e$message <- gsub(sprintf("(?<![\\w.])%s(?![\\w.])", python_name), r_names[[python_name]], e$message,
                        perl = TRUE)
    }
    stop(e)
  })
}

# capture_args()'s `args` after a first, unnamed argument (the data), keeping
# the R names for call_python()'s messages.
with_first_arg <- function(first, args) structure(c(list(first), args), r_names = attr(args, "r_names"))

# Converters for capture_args(): each takes (value, name) and returns what
# Python gets, or stops with a message naming the argument.

# A single whole number, as a Python int (beyond R's integer range too: seeds
# go up to 2^32 - 1). Whether it is in range is Python's to say.
as_int <- function(value, name) {
  if (!is.numeric(value) || length(value) != 1 || is.na(value) || !is.finite(value) || value != round(value)) {
    stop_input("%s must be a single whole number, got %s", name, show_value(value))
  }
  if (abs(value) <= .Machine$integer.max) return(as.integer(value))
  pyrnn_module()
  reticulate::import_builtins(convert = FALSE)$int(as.double(value))
}

as_optional_int <- function(value, name) {
  if (is.null(value)) NULL else as_int(value, name)
}

as_number <- function(value, name) {
  if (!is.numeric(value) || length(value) != 1 || is.na(value)) {
    stop_input("%s must be a single number, got %s", name, show_value(value))
  }
  as.double(value)
}

as_optional_number <- function(value, name) {
  if (is.null(value)) NULL else as_number(value, name)
}

as_flag <- function(value, name) {
  if (!is.logical(value) || length(value) != 1 || is.na(value)) {
    stop_input("%s must be TRUE or FALSE, got %s", name, show_value(value))
  }
  value
}

as_string <- function(value, name) {
  if (!is.character(value) || length(value) != 1 || is.na(value) || !nzchar(value)) {
    stop_input("%s must be a single non-empty string, got %s", name, show_value(value))
  }
  value
}

# A file or folder: a string, "~" expanded ("sample" and "auto" stay as they are).
as_path <- function(value, name) path.expand(as_string(value, name))

as_optional_path <- function(value, name) {
  if (is.null(value)) NULL else as_path(value, name)
}

# An R function Python calls back; an error in it is kept (see
# callback_error()) so that R gets it back rather than the RuntimeError
# reticulate hands Python.
as_callback <- function(value, name) {
  if (!is.null(value) && !is.function(value)) {
    stop_input("%s must be a function or NULL, got %s", name, describe(value))
  }
  if (is.null(value)) return(NULL)
  force(name)
  function(...) {
    withCallingHandlers(value(...), error = function(e) .state$callback_error <- list(error = e, name = name))
  }
}

show_value <- function(value) {
  if (is.null(value)) return("NULL")
  if (length(value) != 1 || is.factor(value)) return(describe(value))
  if (is.atomic(value) && is.na(value)) return("NA")
  if (is.character(value)) return(sprintf("\"%s\"", value))
  format(value)
}
