# Setting up the Python side, and reporting what is in use.

#' Install the Python side of pyrnn into a virtualenv
#'
#' Creates (or reuses) the virtualenv `envname` with reticulate and installs
#' the pyrnn Python package into it with pip, from the copy inside this R
#' package (built from a temporary copy, so the installed package is left as
#' it was); pip brings what its `pyproject.toml` lists (TensorFlow, Keras,
#' NumPy, Pillow, click, matplotlib, Optuna) from your package index. With reticulate
#' below 1.38, which cannot use NumPy 2, NumPy stays below 2. A virtualenv
#' whose Python no longer runs is made again.
#'
#' With reticulate 1.41 or later you do not need this: `library(pyrnn)`
#' declares pyrnn's requirements with `reticulate::py_require()`, and
#' reticulate makes a matching environment with uv on first use. Use
#' `install_pyrnn()` there when uv cannot be used; its virtualenv, once made,
#' is what pyrnn uses.
#'
#' Which Python pyrnn uses, first match wins: `RETICULATE_PYTHON`;
#' `PYRNN_PYTHON`; this virtualenv; with reticulate >= 1.41, the environment
#' of `py_require()`; else reticulate's own search. [pyrnn_config()] shows the
#' choice. Restart R after installing.
#'
#' @param package The pyrnn Python package to install: a folder holding its
#'   `pyproject.toml`, or anything `pip install` accepts (a wheel, a
#'   `git+https://` URL). By default the `PYRNN_SOURCE` variable, else the copy
#'   inside this R package.
#' @param envname Name of the virtualenv (default `"r-pyrnn"`).
#' @param python The Python used to create the virtualenv; `NULL` lets
#'   reticulate pick one. It is checked first, as R runs it (R's environment
#'   can make a Python load another `libpython`): Python 3.10 or later whose
#'   `venv`, `ensurepip` and `ssl` modules import; if not, nothing is made and
#'   the error says which Python fails and why.
#' @return The path of the virtualenv's Python, invisibly.
#' @export
#' @examples
#' \dontrun{
#' install_pyrnn()
#' }
install_pyrnn <- function(package = find_pyrnn_source(), envname = pyrnn_envname(), python = NULL) {
  package <- as_string(package, "package")
  envname <- as_string(envname, "envname")
  is_local <- !grepl("^[a-z+]+://|^git\\+", package) && !grepl("\\.whl$", package)
  if (is_local) {
    package <- path.expand(package)
    if (!file.exists(file.path(package, "pyproject.toml"))) {
      stop(sprintf("%s is not the pyrnn Python package (no pyproject.toml there); give the folder that holds ",
                   package), "pyproject.toml and pyrnn/, or leave `package` out to use the copy inside this R package",
           call. = FALSE)
    }
    package <- normalizePath(package)
  }
  if (reticulate::virtualenv_exists(envname) && !python_runs(reticulate::virtualenv_python(envname))) {
    message(sprintf("The virtualenv '%s' is broken (its Python does not run); making it again.", envname))
    reticulate::virtualenv_remove(envname, confirm = FALSE)
  }
  # before anything is made: the Python that will run pip, as this R session runs it
  if (reticulate::virtualenv_exists(envname)) {
    check_install_python(reticulate::virtualenv_python(envname), sprintf("the virtualenv '%s'", envname))
  } else {
    which <- if (is.null(python)) "the Python reticulate picks" else "`python`"
    python <- if (is.null(python)) default_starter_python() else path.expand(as_string(python, "python"))
    check_install_python(python, which)
  }
  if (is_local) {
    # pip builds a folder in place (build/, pyrnn.egg-info): a copy keeps the installed
    # R package (perhaps read-only) as it was
    copy <- tempfile("pyrnn-source-")
    dir.create(copy)
    on.exit(unlink(copy, recursive = TRUE), add = TRUE)
    file.copy(package, copy, recursive = TRUE)
    package <- file.path(copy, basename(package))
  }
  numpy <- if (needs_numpy_below_2()) "numpy<2"
  reticulate::virtualenv_create(envname, python = python, packages = numpy)
  reticulate::py_install(c(numpy, package), envname = envname, method = "virtualenv")
  python <- reticulate::virtualenv_python(envname)
  if (!python_runs(python, "import pyrnn, tensorflow, keras")) {
    stop(sprintf("pip installed pyrnn into the virtualenv '%s', but %s cannot import pyrnn, tensorflow and keras; ",
                 envname, python), "see pip's output above", call. = FALSE)
  }
  message(sprintf("pyrnn's Python side is installed in %s. Restart R, then library(pyrnn); pyrnn_config()",
                  python))
  invisible(python)
}

# The Python reticulate makes a virtualenv with when none is given: the first
# python3 on PATH for reticulate < 1.31 (virtualenv_default_python), a starter
# it ranks for later ones (virtualenv_starter).
default_starter_python <- function() {
  if ("virtualenv_starter" %in% getNamespaceExports("reticulate")) {
    starter <- getExportedValue("reticulate", "virtualenv_starter")()
  } else {
    starter <- utils::getFromNamespace("virtualenv_default_python", "reticulate")()
  }
  if (is.null(starter) || !nzchar(starter)) {
    stop("install_pyrnn() found no Python to make the virtualenv with; give one: ",
         "install_pyrnn(python = \"/usr/bin/python3\")", call. = FALSE)
  }
  starter
}

# Stop, before anything is made, when `python` (described by `which`) cannot make
# pyrnn's virtualenv as this R session runs it: R's environment (LD_LIBRARY_PATH
# can make a Python load another libpython, whose ssl then fails) is inherited.
# Python >= 3.10, and the venv, ensurepip and ssl modules (pip downloads over
# https) must work.
check_install_python <- function(python, which) {
  probe <- paste(
    "import sys",
    "print('.'.join(map(str, sys.version_info[:3])))",
    "if sys.version_info < (3, 10): print('problem: Python 3.10 or later is needed')",
    "for name in ('venv', 'ensurepip', 'ssl'):",
    "    try: __import__(name)",
    "    except Exception as e: print(f'problem: its {name} module does not import ({type(e).__name__}: {e})')",
    sep = "\n")
  output <- if (file.exists(python) || nzchar(Sys.which(python))) {
    suppressWarnings(system2(python, c("-c", shQuote(probe)), stdout = TRUE, stderr = TRUE))
  }
  problems <- if (is.null(output)) {
    "that file does not exist"
  } else if (!is.null(attr(output, "status"))) {
    paste("it does not run:", first_line(paste(output, collapse = "\n")))
  } else {
    sub("^problem: ", "", grep("^problem: ", output, value = TRUE))
  }
  if (length(problems)) {
    version <- if (is.null(attr(output, "status")) && length(output)) paste0(" (Python ", output[[1]], ")")
    stop(sprintf("install_pyrnn() cannot use %s, %s%s, as R runs it:\n%s\n", which, python,
                 if (is.null(version)) "" else version, paste0("  - ", problems, collapse = "\n")),
         "Choose another Python, e.g. Debian's: install_pyrnn(python = \"/usr/bin/python3\")", call. = FALSE)
  }
  invisible(python)
}

# What install_pyrnn() installs by default: PYRNN_SOURCE, else the copy
# inside this R package.
find_pyrnn_source <- function() Sys.getenv("PYRNN_SOURCE", pyrnn_python_source())

# Does `python` start (and run `code`)? Run in its own process, so this R
# session's Python, if any, is untouched.
python_runs <- function(python, code = "pass") {
  file.exists(python) &&
    identical(suppressWarnings(system2(python, c("-c", shQuote(code)), stdout = FALSE, stderr = FALSE)), 0L)
}

#' Show the Python and the versions pyrnn uses
#'
#' Loads the Python side if needed, and says which Python interpreter (and
#' what chose it: `RETICULATE_PYTHON`, `PYRNN_PYTHON`, the virtualenv of
#' [install_pyrnn()], the environment reticulate (>= 1.41) makes for
#' `py_require()`, or reticulate's own search) with the versions of pyrnn,
#' TensorFlow, Keras and NumPy, TensorFlow's log level and whether pyrnn set
#' TensorFlow's threads. TensorFlow starts with its start-up lines (absl,
#' oneDNN, CUDA notices) hidden, as in the `pyrnn` command. Fails with the
#' command that fixes it when the Python side cannot be loaded.
#'
#' pyrnn imports TensorFlow itself (through reticulate) on the first call that
#' needs it, and two options, set before that call, choose how:
#' \describe{
#'   \item{`pyrnn.tf_log_level`}{The value given to the environment variable
#'     `TF_CPP_MIN_LOG_LEVEL` when it is not set: "0" shows all of
#'     TensorFlow's C++ messages, "1" (the default) hides its INFO notices and
#'     shows warnings and errors, "2" shows only errors, "3" none. A
#'     `TF_CPP_MIN_LOG_LEVEL` already set is left as it is.}
#'   \item{`pyrnn.one_thread_per_op`}{`TRUE` (the default) lets each
#'     TensorFlow op run on one thread (intra-op parallelism 1), which makes
#'     pyrnn's CPU kernels faster: the cores run parts of a batch side by side
#'     instead of splitting every small op between them. It is left alone
#'     where `TF_NUM_INTRAOP_THREADS`, `TF_NUM_INTEROP_THREADS` or
#'     `tf.config.threading` already chose a setting, where a GPU does the
#'     work, and when TensorFlow had started before pyrnn loaded it. `FALSE` keeps TensorFlow's own setting.}
#' }
#' For example `options(pyrnn.tf_log_level = "2", pyrnn.one_thread_per_op = FALSE)`
#' before the first model is built.
#'
#' @return A list of class "pyrnn_config", printed as above (as
#'   `tensorflow::tf_config()` does: `x <- pyrnn_config()` prints nothing),
#'   with elements `python`, `chosen_by`, `pyrnn`, `tensorflow`, `keras`,
#'   `numpy`, `reticulate`, `tf_log_level` (the `TF_CPP_MIN_LOG_LEVEL`
#'   TensorFlow started with; `NA` when TensorFlow had started before pyrnn
#'   loaded it, so that it cannot be known), `tf_log_level_from` (the
#'   environment variable or the option `pyrnn.tf_log_level`) and
#'   `one_thread_per_op` (`TRUE` if pyrnn set TensorFlow's intra-op threads
#'   to 1).
#' @export
#' @examplesIf pyrnn_available()
#' pyrnn_config()
pyrnn_config <- function() {
  module <- pyrnn_tf()
  version_of <- function(name) reticulate::import(name)$`__version__`
  config <- reticulate::py_config()
  chosen_by <- .state$choice$how
  # when reticulate chose, say what it went by (e.g. "py_require()", or a ./.venv it found)
  if (is.na(.state$choice$python) && !is.null(config$forced)) {
    chosen_by <- sprintf("%s; reticulate used: %s", chosen_by, config$forced)
  }
  info <- list(
    python = config$python,
    chosen_by = chosen_by,
    pyrnn = module$`__version__`,
    tensorflow = version_of("tensorflow"),
    keras = version_of("keras"),
    numpy = version_of("numpy"),
    reticulate = as.character(getNamespaceVersion("reticulate")),
    tf_log_level = .state$tensorflow$log_level,
    tf_log_level_from = .state$tensorflow$log_level_from,
    one_thread_per_op = .state$tensorflow$one_thread_per_op
  )
  structure(info, class = "pyrnn_config")
}

#' @export
print.pyrnn_config <- function(x, ...) {
  threads <- if (x$one_thread_per_op) {
    "one per op (set by pyrnn: option pyrnn.one_thread_per_op)"
  } else {
    "TensorFlow's own setting (not changed by pyrnn)"
  }
  level <- if (is.na(x$tf_log_level)) "not known" else x$tf_log_level
  cat(sprintf("Python:     %s\n            (chosen by %s)\n", x$python, x$chosen_by),
      sprintf("%-11s %s\n", c("pyrnn:", "TensorFlow:", "Keras:", "NumPy:", "reticulate:"),
              unlist(x[c("pyrnn", "tensorflow", "keras", "numpy", "reticulate")])),
      sprintf("TensorFlow log level: %s (TF_CPP_MIN_LOG_LEVEL, from %s)\n", level, x$tf_log_level_from),
      sprintf("TensorFlow threads:   %s\n", threads),
      sep = "")
  invisible(x)
}
