# Choosing the Python interpreter and loading the Python module pyrnn.

# Name of the virtualenv that install_pyrnn() makes and .onLoad looks for.
pyrnn_envname <- function() "r-pyrnn"

# Pick the Python before anything initialises it: RETICULATE_PYTHON (reticulate
# honours it itself), else PYRNN_PYTHON, else install_pyrnn()'s virtualenv,
# else reticulate's own search. Returns list(python, how); a choice that cannot
# be applied is recorded in `problem` and reported on first use, as .onLoad
# must not fail.
choose_python <- function() {
  if (reticulate::py_available(initialize = FALSE)) {
    return(list(python = reticulate::py_config()$python,
                how = "the Python this R session had already started"))
  }
  reticulate_python <- Sys.getenv("RETICULATE_PYTHON")
  if (nzchar(reticulate_python)) {
    return(list(python = reticulate_python, how = "RETICULATE_PYTHON"))
  }
  pyrnn_python <- Sys.getenv("PYRNN_PYTHON")
  if (nzchar(pyrnn_python)) {
    choice <- list(python = pyrnn_python, how = "PYRNN_PYTHON")
    if (!file.exists(pyrnn_python)) {
      choice$problem <- "that file does not exist"
      return(choice)
    }
    return(apply_choice(choice, function() reticulate::use_python(pyrnn_python, required = TRUE)))
  }
  envname <- pyrnn_envname()
  if (reticulate::virtualenv_exists(envname)) {
    choice <- list(python = reticulate::virtualenv_python(envname),
                   how = sprintf("the virtualenv '%s' made by install_pyrnn()", envname))
    return(apply_choice(choice, function() reticulate::use_virtualenv(envname, required = TRUE)))
  }
  list(python = NA_character_,
       how = sprintf(paste("reticulate's own search: neither RETICULATE_PYTHON nor PYRNN_PYTHON is set,",
                         "and there is no '%s' virtualenv"), envname))
}

apply_choice <- function(choice, use) {
  tryCatch(use(), error = function(e) choice$problem <<- conditionMessage(e))
  choice
}

# Refuse to fall back silently to another Python when the one asked for
# cannot be used (also the before_load hook of the delayed import).
check_python_choice <- function() {
  choice <- .state$choice
  if (!is.null(choice$problem)) {
    stop_python_missing(sprintf("%s (%s) cannot be used: %s", choice$how, choice$python, choice$problem))
  }
}

# The error raised (on first use, and again on every later use) when the Python
# side cannot be loaded: which Python was tried, why, and the one command that
# fixes it.
stop_python_missing <- function(cause) {
  choice <- .state$choice
  tried <- if (reticulate::py_available(initialize = FALSE)) reticulate::py_config()$python else choice$python
  if (is.na(tried)) tried <- "none found"
  source <- find_pyrnn_source()
  placeholder <- is.null(source)
  if (placeholder) source <- "/path/to/pyrnn"
  from_variable <- choice$how %in% c("RETICULATE_PYTHON", "PYRNN_PYTHON")
  fix <- if (from_variable && !file.exists(choice$python)) {
    sprintf("export %s=/path/to/a/python/with/pyrnn (or unset %s to use install_pyrnn()'s virtualenv)",
            choice$how, choice$how)
  } else if (from_variable) {
    sprintf("%s -m pip install \"numpy<2\" %s", choice$python, source)
  } else {
    sprintf("Rscript -e 'pyrnn::install_pyrnn(\"%s\")'", source)
  }
  if (placeholder && grepl(source, fix, fixed = TRUE)) {
    fix <- paste0(fix, " (", source, ": the pyrnn repository, the folder holding pyproject.toml)")
  }
  .state$load_error <- paste0(
    "pyrnn cannot load its Python side.\n",
    "  Python tried: ", tried, " (chosen by ", choice$how, ")\n",
    "  Problem: ", first_line(cause), "\n",
    "  Fix: ", fix, "; then restart R.")
  stop(.state$load_error, call. = FALSE)
}

first_line <- function(text) {
  text <- trimws(text)
  lines <- strsplit(text, "\n", fixed = TRUE)[[1]]
  if (length(lines)) lines[[1]] else text
}

# The Python module pyrnn (results converted to R), loading it on first use.
pyrnn_module <- function() {
  if (!is.null(.state$load_error)) stop(.state$load_error, call. = FALSE)
  if (is.null(.state$loaded)) {
    # before Python starts: a PYRNN_PYTHON that cannot be used is an error,
    # not a reason to start some other Python
    check_python_choice()
    # touching an attribute resolves the delayed import (and its hooks)
    reticulate::py_get_attr(pyrnn_py, "__version__")
    .state$loaded <- TRUE
  }
  pyrnn_py
}

# The module, for calls that need TensorFlow. The first call imports
# TensorFlow, as rstudio/tensorflow does: TF_CPP_MIN_LOG_LEVEL, if unset, is
# set from the option pyrnn.tf_log_level (default "1": TensorFlow's INFO
# notices hidden, its warnings and errors shown on stderr); then, unless the
# option pyrnn.one_thread_per_op is FALSE, pyrnn's CPU kernels get one thread
# per TensorFlow op (pyrnn.kernels.use_one_thread_per_op; it must come before
# TensorFlow starts its threads). What was done is kept for pyrnn_config().
pyrnn_tf <- function() {
  module <- pyrnn_module()
  if (is.null(.state$tensorflow)) {
    log_level <- Sys.getenv("TF_CPP_MIN_LOG_LEVEL", unset = NA)
    log_level_from <- "the environment variable TF_CPP_MIN_LOG_LEVEL"
    if (is.na(log_level)) {
      log_level <- as.character(getOption("pyrnn.tf_log_level", "1"))
      log_level_from <- "the option pyrnn.tf_log_level"
      Sys.setenv(TF_CPP_MIN_LOG_LEVEL = log_level)
      # Python's copy of the environment, taken when it started
      reticulate::py_set_item(reticulate::import("os", convert = FALSE)$environ, "TF_CPP_MIN_LOG_LEVEL", log_level)
    }
    tf <- with_py_errors(reticulate::import("tensorflow"))
    one_thread <- FALSE
    if (isTRUE(getOption("pyrnn.one_thread_per_op", TRUE))) {
      threads <- function() with_py_errors(tf$config$threading$get_intra_op_parallelism_threads())
      before <- threads()
      with_py_errors(reticulate::import("pyrnn.kernels")$use_one_thread_per_op())
      one_thread <- before != 1L && threads() == 1L
    }
    .state$tensorflow <- list(log_level = log_level, log_level_from = log_level_from,
                              one_thread_per_op = one_thread)
  }
  module
}

#' Is the Python side of pyrnn available?
#'
#' Tries to load the Python module `pyrnn` (starting Python if needed) and
#' says whether that worked. Use it to guard code that should only run where
#' pyrnn is set up; [pyrnn_config()] says which Python is used.
#'
#' @return `TRUE` or `FALSE`.
#' @export
#' @examples
#' pyrnn_available()
pyrnn_available <- function() {
  tryCatch({
    pyrnn_module()
    TRUE
  }, error = function(e) FALSE)
}

#' Where the pyrnn Python package's source is, if it can be found
#'
#' The `PYRNN_SOURCE` variable, else the first folder from the working
#' directory upwards whose `pyproject.toml` names the project "pyrnn".
#' @return A path, or `NULL`.
#' @noRd
find_pyrnn_source <- function() {
  from_env <- Sys.getenv("PYRNN_SOURCE")
  if (nzchar(from_env)) return(from_env)
  dir <- normalizePath(getwd(), mustWork = FALSE)
  repeat {
    toml <- file.path(dir, "pyproject.toml")
    if (file.exists(toml) && any(grepl("^name\\s*=\\s*\"pyrnn\"", readLines(toml, warn = FALSE)))) {
      return(dir)
    }
    parent <- dirname(dir)
    if (identical(parent, dir)) return(NULL)
    dir <- parent
  }
}

# A submodule of pyrnn (e.g. "pyrnn.sequences.echo"), once the Python side is
# loaded; with `tensorflow = TRUE`, once TensorFlow is loaded as pyrnn_tf()
# does, for modules that import it.
python_module <- function(name, tensorflow = FALSE) {
  if (tensorflow) pyrnn_tf() else pyrnn_module()
  reticulate::import(name)
}
