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
       how = sprintf("reticulate's own search (no RETICULATE_PYTHON, no PYRNN_PYTHON, no '%s' virtualenv)",
                     envname))
}

apply_choice <- function(choice, use) {
  tryCatch(use(), error = function(e) choice$problem <<- conditionMessage(e))
  choice
}

# before_load hook of the delayed import: refuse to fall back silently to
# another Python when the one asked for cannot be used.
check_python_choice <- function() {
  choice <- .state$choice
  if (!is.null(choice$problem)) {
    stop_python_missing(sprintf("%s is set to %s, but %s", choice$how, choice$python, choice$problem))
  }
}

# The error raised (on first use, and again on every later use) when the Python
# side cannot be loaded: which Python was tried, why, and the one command that
# fixes it.
stop_python_missing <- function(cause) {
  choice <- .state$choice
  tried <- tryCatch(reticulate::py_config()$python, error = function(e) NULL)
  tried <- if (!is.null(tried)) tried else if (!is.na(choice$python)) choice$python else "none found"
  source <- find_pyrnn_source()
  source <- if (is.null(source)) "/path/to/pyrnn" else source
  fix <- if (choice$how %in% c("RETICULATE_PYTHON", "PYRNN_PYTHON") && file.exists(choice$python)) {
    sprintf("%s -m pip install \"numpy<2\" %s", choice$python, source)
  } else {
    sprintf("Rscript -e 'pyrnn::install_pyrnn(\"%s\")'", source)
  }
  .state$load_error <- paste0(
    "pyrnn cannot load its Python side.\n",
    "  Python tried: ", tried, " (chosen by ", choice$how, ")\n",
    "  Problem: ", first_line(cause), "\n",
    "  Fix: ", fix, "\n",
    "  (", source, " is the pyrnn repository, the folder holding pyproject.toml); then restart R.")
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
    # touching an attribute resolves the delayed import (and its hooks)
    reticulate::py_get_attr(pyrnn_py, "__version__")
    .state$loaded <- TRUE
  }
  pyrnn_py
}

# The same module with results left as Python objects, for calls whose
# results are converted by hand.
pyrnn_raw <- function() {
  if (is.null(.state$raw)) {
    pyrnn_module()
    .state$raw <- reticulate::import("pyrnn", convert = FALSE)
  }
  .state$raw
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
