# Choosing the Python interpreter and loading the Python module pyrnn.

# Name of the virtualenv that install_pyrnn() makes and .onLoad looks for.
pyrnn_envname <- function() "r-pyrnn"

# The pyrnn Python package inside the installed R package (R CMD build copies
# the repository's pyrnn/ and pyproject.toml into inst/python): what
# py_require() and install_pyrnn() install, with the dependencies its
# pyproject.toml lists.
pyrnn_python_source <- function() system.file("python", package = "pyrnn")

# reticulate >= 1.41 provisions Python environments with uv from the
# requirements packages declare with py_require(); >= 1.38 converts NumPy 2.
has_py_require <- function() utils::packageVersion("reticulate") >= "1.41"
needs_numpy_below_2 <- function() utils::packageVersion("reticulate") < "1.38"

# Pick the Python before anything initialises it: RETICULATE_PYTHON (reticulate
# honours it itself), else PYRNN_PYTHON, else install_pyrnn()'s virtualenv (an
# explicit set-up, and reticulate too ranks it above py_require()), else with
# reticulate >= 1.41 the environment py_require() declares (.onLoad declares
# `requirements`), else reticulate's own search. Returns list(python, how); a
# choice that cannot be applied is recorded in `problem` and reported on first
# use, as .onLoad must not fail.
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
  if (has_py_require()) {
    return(list(python = NA_character_, requirements = pyrnn_python_source(),
                how = sprintf(paste("py_require(): reticulate makes an environment with uv for pyrnn",
                                    "(%s) and the packages its pyproject.toml lists"), pyrnn_python_source())))
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

# Once pyrnn imports: does this Python have what the first model needs? Looked
# up without importing TensorFlow, which stays for the first call that needs it.
check_python_side <- function() {
  find_spec <- reticulate::import("importlib.util")$find_spec
  missing <- Filter(function(module) is.null(find_spec(module)), c("tensorflow", "keras"))
  if (length(missing)) {
    stop_python_missing(sprintf("this Python has pyrnn but not %s", paste(missing, collapse = " or ")))
  }
  numpy <- reticulate::import("importlib.metadata")$version("numpy")
  if (needs_numpy_below_2() && numeric_version(numpy) >= "2") {
    stop_python_missing(sprintf("this Python has NumPy %s; reticulate %s needs NumPy below 2 (NumPy 2 needs %s)",
                                numpy, utils::packageVersion("reticulate"), "reticulate >= 1.38"))
  }
}

# Where reticulate >= 1.41 looks for uv (RETICULATE_UV, PATH, ~/.local/bin,
# its own cache) before it tries to download it.
uv_found <- function() {
  candidates <- c(Sys.getenv("RETICULATE_UV"), Sys.which("uv"), path.expand("~/.local/bin/uv"),
                  file.path(tools::R_user_dir("reticulate", "cache"), "uv", "bin", "uv"))
  any(nzchar(candidates) & file.exists(candidates))
}

# The error raised (on first use, and again on every later use) when the Python
# side cannot be loaded: which Python was tried, why, and the one command that
# fixes it.
stop_python_missing <- function(cause) {
  choice <- .state$choice
  tried <- if (reticulate::py_available(initialize = FALSE)) reticulate::py_config()$python else choice$python
  if (is.na(tried)) tried <- "none found"
  from_variable <- choice$how %in% c("RETICULATE_PYTHON", "PYRNN_PYTHON")
  problem <- first_line(cause)
  if (!is.null(choice$requirements) && !uv_found()) {
    problem <- paste0("no uv to make the environment pyrnn declares with py_require() (uv is not on PATH ",
                      "and reticulate could not download it): ", problem)
  }
  fix <- if (from_variable && !file.exists(choice$python)) {
    sprintf("export %s=/path/to/a/python/with/pyrnn (or unset %s to use install_pyrnn()'s virtualenv)",
            choice$how, choice$how)
  } else if (from_variable && externally_managed(choice$python)) {
    # pip refuses to install into such a Python (PEP 668): a virtualenv made from it instead
    paste(shell_command("Rscript", "-e", sprintf('pyrnn::install_pyrnn(python = "%s")', choice$python)),
          sprintf("and unset %s (pip does not install into %s, whose packages are the system's)", choice$how,
                  choice$python))
  } else if (from_variable) {
    shell_command(choice$python, "-m", "pip", "install", if (needs_numpy_below_2()) "numpy<2", pyrnn_python_source())
  } else {
    shell_command("Rscript", "-e", "pyrnn::install_pyrnn()")
  }
  if (!is.null(choice$requirements)) fix <- paste0(fix, " (a virtualenv made with pip, which pyrnn then uses)")
  .state$load_error <- paste0(
    "pyrnn cannot load its Python side.\n",
    "  Python tried: ", tried, " (chosen by ", choice$how, ")\n",
    "  Problem: ", problem, "\n",
    "  Fix: ", fix, "; then restart R.")
  stop(.state$load_error, call. = FALSE)
}

# Whether pip refuses to install into `python` (PEP 668: the system's Python,
# marked EXTERNALLY-MANAGED, outside a virtualenv); FALSE where it cannot tell.
externally_managed <- function(python) {
  code <- paste("import os, sys, sysconfig", "marker = os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')",
                "print(sys.prefix == sys.base_prefix and os.path.exists(marker))", sep = "; ")
  answer <- tryCatch(suppressWarnings(system2(python, c("-c", shQuote(code)), stdout = TRUE, stderr = FALSE)),
                     error = function(e) character())
  identical(answer, "True")
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
    # touching an attribute resolves the delayed import (and its hooks); a
    # Python that fails to start (reticulate >= 1.41 starts it before the
    # import's on_error hook can act) fails here
    tryCatch(
      withCallingHandlers(reticulate::py_get_attr(pyrnn_py, "__version__"), warning = muffle_path_requirement),
      error = function(e) if (is.null(.state$load_error)) stop_python_missing(conditionMessage(e)) else stop(e)
    )
    check_python_side()
    use_session_folders()
    .state$loaded <- TRUE
  }
  pyrnn_py
}

# reticulate >= 1.41 checks the py_require() requirements with `uv pip install
# --dry-run`, which always "would install" a folder such as pyrnn's own, and
# warns with an empty list of missing packages: nothing is missing then.
muffle_path_requirement <- function(warning) {
  lines <- strsplit(conditionMessage(warning), "\n", fixed = TRUE)[[1]]
  if (startsWith(lines[[1]], "Some Python package requirements declared via `py_require()` are not installed") &&
      all(trimws(lines[-1]) %in% c("", pyrnn_python_source()))) {
    invokeRestart("muffleWarning")
  }
}

# The module, for calls that need TensorFlow. The first call starts TensorFlow
# as the pyrnn command does (pyrnn.tfstart.start_tensorflow: its start-up lines
# hidden): TF_CPP_MIN_LOG_LEVEL, if unset, is set from the option
# pyrnn.tf_log_level (default "1": TensorFlow's INFO notices hidden, its
# warnings and errors shown on stderr); then, unless the option
# pyrnn.one_thread_per_op is FALSE, pyrnn's CPU kernels get one thread per
# TensorFlow op (pyrnn.threads.use_one_thread_per_op; it must come before
# TensorFlow starts its threads). What was done is kept for pyrnn_config().
pyrnn_tf <- function() {
  module <- pyrnn_module()
  if (is.null(.state$tensorflow)) {
    log_level <- Sys.getenv("TF_CPP_MIN_LOG_LEVEL", unset = NA)
    if (!is.na(log_level) && nzchar(log_level)) {
      # Python's copy of the environment, taken when it started, may predate it
      reticulate::py_set_item(reticulate::import("os", convert = FALSE)$environ, "TF_CPP_MIN_LOG_LEVEL", log_level)
    }
    started <- tryCatch(
      reticulate::import("pyrnn.tfstart")$start_tensorflow(
        log_level = as.character(getOption("pyrnn.tf_log_level", "1")),
        one_thread_per_op = isTRUE(getOption("pyrnn.one_thread_per_op", TRUE))),
      error = function(e) {
        stop_python_missing(paste("TensorFlow does not import:", first_line(conditionMessage(e))))
      })
    from <- started$log_level_from
    if (identical(from, "pyrnn")) from <- "the option pyrnn.tf_log_level"
    .state$tensorflow <- list(log_level = if (is.null(started$log_level)) NA_character_ else started$log_level,
                              log_level_from = from, one_thread_per_op = isTRUE(started$one_thread_per_op))
  }
  module
}

#' Is the Python side of pyrnn available?
#'
#' Says whether pyrnn's Python side can be used, without starting Python in
#' this R session and without downloading anything: the Python that pyrnn
#' would use (see [install_pyrnn()] for the order) is asked, in a process of
#' its own, whether it has pyrnn, TensorFlow and Keras (and, for reticulate
#' below 1.38, NumPy below 2). Once the Python side is loaded it is `TRUE`.
#' Where reticulate (>= 1.41) would make pyrnn's environment with uv on first
#' use, it is `FALSE` until that has happened in this session (run
#' [pyrnn_config()] once), as making it may download TensorFlow. Use it to
#' guard code that should only run where pyrnn is set up, as the examples do;
#' [pyrnn_config()] says which Python is used.
#'
#' @return `TRUE` or `FALSE`.
#' @export
#' @examples
#' pyrnn_available()
pyrnn_available <- function() is.null(python_side_problem())

# Why the Python side cannot be used, in a few words, or NULL when it can:
# pyrnn_available() and the tests' skips. Nothing here starts Python in this
# process unless it is running already, and nothing lets reticulate download.
python_side_problem <- function() {
  if (isTRUE(.state$loaded)) return(NULL)
  if (!is.null(.state$load_error) || reticulate::py_available(initialize = FALSE)) {
    # Python is running (or failed): loading pyrnn into it costs no download
    return(tryCatch({
      pyrnn_module()
      NULL
    }, error = function(e) {
      lines <- trimws(strsplit(conditionMessage(e), "\n", fixed = TRUE)[[1]])
      problem <- grep("^Problem: ", lines, value = TRUE)
      if (length(problem)) sub("^Problem: ", "", problem[[1]]) else first_line(conditionMessage(e))
    }))
  }
  choice <- .state$choice
  if (!is.null(choice$problem)) return(sprintf("%s (%s): %s", choice$how, choice$python, choice$problem))
  if (!is.null(choice$requirements)) {
    return(paste("the Python would be made by reticulate's py_require() with uv on first use,",
                 "which may download TensorFlow; not tried"))
  }
  python <- choice$python
  if (is.na(python)) {
    config <- tryCatch(reticulate::py_discover_config("pyrnn"), error = function(e) NULL)
    if (is.null(config)) return("no Python found")
    python <- config$python
  }
  if (!file.exists(python)) return(sprintf("%s (chosen by %s) does not exist", python, choice$how))
  found <- suppressWarnings(system2(python, c("-c", shQuote(PYTHON_SIDE_PROBE)), stdout = TRUE, stderr = TRUE))
  if (!is.null(attr(found, "status"))) {
    return(sprintf("%s does not run: %s", python, first_line(paste(found, collapse = "\n"))))
  }
  missing <- setdiff(c("pyrnn", "tensorflow", "keras", "numpy"), found)
  if (length(missing)) return(sprintf("%s has no %s", python, paste(missing, collapse = ", ")))
  numpy <- sub("^numpy ", "", grep("^numpy ", found, value = TRUE))
  if (needs_numpy_below_2() && as.integer(sub("\\..*", "", numpy)) >= 2) {
    return(sprintf("%s has NumPy %s; reticulate %s needs NumPy below 2", python, numpy,
                   utils::packageVersion("reticulate")))
  }
  NULL
}

# Run by the candidate Python: prints the name of each module it finds
# (without importing TensorFlow, which takes seconds), and NumPy's version. A
# folder of that name without __init__.py (a namespace package, such as the
# installed R package `pyrnn` in the working directory) is not the module.
PYTHON_SIDE_PROBE <- paste(
  "import importlib.util as u, importlib.metadata as m",
  "for name in ('pyrnn', 'tensorflow', 'keras', 'numpy'):",
  "    spec = u.find_spec(name)",
  "    if spec and spec.origin: print(name)",
  "if u.find_spec('numpy'): print('numpy', m.version('numpy'))",
  sep = "\n")

# A submodule of pyrnn (e.g. "pyrnn.sequences.echo"), once the Python side is
# loaded; with `tensorflow = TRUE`, once TensorFlow is loaded as pyrnn_tf()
# does, for modules that import it.
python_module <- function(name, tensorflow = FALSE) {
  if (tensorflow) pyrnn_tf() else pyrnn_module()
  reticulate::import(name)
}
