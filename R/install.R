# Setting up the Python side, and reporting what is in use.

#' Install the Python side of pyrnn into a virtualenv
#'
#' Creates (or reuses) the virtualenv `envname` with reticulate, then installs
#' NumPy below 2 (reticulate 1.28 cannot use NumPy 2) and the pyrnn Python
#' package, which brings TensorFlow, Keras, Pillow and matplotlib. When neither
#' `RETICULATE_PYTHON` nor `PYRNN_PYTHON` is set, `library(pyrnn)` uses this
#' virtualenv. Restart R after installing.
#'
#' @param package The pyrnn Python package to install: the path of the pyrnn
#'   repository (the folder holding `pyproject.toml`), or anything `pip install`
#'   accepts (a wheel, a `git+https://` URL). By default the `PYRNN_SOURCE`
#'   variable, else the pyrnn repository around the working directory.
#' @param envname Name of the virtualenv (default "r-pyrnn").
#' @param python The Python used to create the virtualenv; `NULL` lets
#'   reticulate pick one.
#' @return The path of the virtualenv's Python, invisibly.
#' @export
#' @examples
#' \dontrun{
#' install_pyrnn("~/src/pyrnn")
#' }
install_pyrnn <- function(package = find_pyrnn_source(), envname = pyrnn_envname(), python = NULL) {
  if (is.null(package)) {
    stop("install_pyrnn() needs the pyrnn Python package: give the path of the pyrnn repository ",
         "(the folder holding pyproject.toml), e.g. install_pyrnn(\"~/src/pyrnn\"), ",
         "or set PYRNN_SOURCE", call. = FALSE)
  }
  package <- as_string(package, "package")
  envname <- as_string(envname, "envname")
  is_local <- !grepl("^[a-z+]+://|^git\\+", package) && !grepl("\\.whl$", package)
  if (is_local) {
    package <- path.expand(package)
    if (!file.exists(file.path(package, "pyproject.toml"))) {
      stop(sprintf("%s is not the pyrnn repository (no pyproject.toml there); give the folder that holds ",
                   package), "pyproject.toml and the pyrnn/ Python package", call. = FALSE)
    }
    package <- normalizePath(package)
  }
  reticulate::virtualenv_create(envname, python = python, packages = "numpy<2")
  reticulate::py_install(c("numpy<2", package), envname = envname, method = "virtualenv")
  python <- reticulate::virtualenv_python(envname)
  message(sprintf("pyrnn's Python side is installed in %s. Restart R, then library(pyrnn); pyrnn_config()",
                  python))
  invisible(python)
}

#' Show the Python and the versions pyrnn uses
#'
#' Loads the Python side if needed, then prints the Python interpreter (and
#' what chose it: `RETICULATE_PYTHON`, `PYRNN_PYTHON`, the virtualenv of
#' [install_pyrnn()] or reticulate's own search) with the versions of pyrnn,
#' TensorFlow, Keras and NumPy. Fails with the command that fixes it when the
#' Python side cannot be loaded.
#'
#' @return A list with elements `python`, `chosen_by`, `pyrnn`, `tensorflow`,
#'   `keras`, `numpy` and `reticulate`, invisibly.
#' @export
#' @examplesIf pyrnn_available()
#' pyrnn_config()
pyrnn_config <- function() {
  module <- pyrnn_tf()
  version_of <- function(name) reticulate::import(name)$`__version__`
  info <- list(
    python = reticulate::py_config()$python,
    chosen_by = .state$choice$how,
    pyrnn = module$`__version__`,
    tensorflow = version_of("tensorflow"),
    keras = version_of("keras"),
    numpy = version_of("numpy"),
    reticulate = as.character(getNamespaceVersion("reticulate"))
  )
  cat(sprintf("Python:     %s\n            (chosen by %s)\n", info$python, info$chosen_by),
      sprintf("%-11s %s\n", c("pyrnn:", "TensorFlow:", "Keras:", "NumPy:", "reticulate:"),
              unlist(info[c("pyrnn", "tensorflow", "keras", "numpy", "reticulate")])),
      sep = "")
  invisible(info)
}
