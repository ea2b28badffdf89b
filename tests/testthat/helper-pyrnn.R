# Shared by the tests: data computed once per run, the Python core itself
# (to compare against), and small utilities.

shared <- new.env(parent = emptyenv())

# Called at the top of every test file that needs the Python side. Without a
# usable one (CRAN's machines: a Python without TensorFlow, or none) the file's
# tests are skipped with the reason, unless PYRNN_REQUIRE_PYTHON is "true": CI
# and `make test` set it, so there a broken set-up fails instead of skipping.
skip_if_no_python <- function() {
  if (identical(Sys.getenv("PYRNN_REQUIRE_PYTHON"), "true")) return(invisible(TRUE))
  problem <- pyrnn:::python_side_problem()
  if (!is.null(problem)) testthat::skip(paste("pyrnn's Python side is not usable:", problem))
  invisible(TRUE)
}

# pyrnn's disk cache of compiled graphs goes to the session's temporary folder,
# not the user's cache (set before Python starts, and inherited by child R processes)
Sys.setenv(PYRNN_CACHE_DIR = file.path(tempdir(), "pyrnn-graphs"))
# the tests also import pyrnn directly (reticulate::import), before the R side
# would keep Python's temporary files, Keras's and matplotlib's folders in tempdir()
Sys.setenv(TMPDIR = tempdir(), KERAS_HOME = file.path(tempdir(), "keras"),
           MPLCONFIGDIR = file.path(tempdir(), "matplotlib"))

# The MNIST sample bundled with pyrnn, read once.
sample_mnist <- function() {
  if (is.null(shared$mnist)) shared$mnist <- read_data_sets("sample")
  shared$mnist
}

# The sample reduced to 16 x 16 (the matrix path), once.
sample16 <- function() {
  if (is.null(shared$small)) {
    mnist <- sample_mnist()
    shared$small <- list(x_train = reduceImage(mnist$train$images), y_train = mnist$train$labels,
                         x_test = reduceImage(mnist$test$images), y_test = mnist$test$labels)
  }
  shared$small
}

# The Python module pyrnn with results left as Python objects: the reference.
# TensorFlow is started first as the R side starts it (pyrnn_tf()), so that
# reading the module's names, which imports TensorFlow, does not start it
# another way before the tests of pyrnn_config() run.
python_pyrnn <- function() {
  pyrnn:::pyrnn_tf()
  reticulate::import("pyrnn", convert = FALSE)
}

# Folder of the bundled sample's IDX files, as a directory argument.
sample_dir <- function() as.character(reticulate::import("pyrnn.data")$SAMPLE_DIR)

# Run `code` with environment variables set (NA: unset), restoring them after.
with_envvars <- function(vars, code) {
  old <- Sys.getenv(names(vars), unset = NA, names = TRUE)
  set_vars <- function(values) {
    for (name in names(values)) {
      if (is.na(values[[name]])) Sys.unsetenv(name) else do.call(Sys.setenv, as.list(values[name]))
    }
  }
  set_vars(vars)
  on.exit(set_vars(old))
  force(code)
}

# Rscript of the R running the tests.
rscript <- function() file.path(R.home("bin"), "Rscript")

# Run Rscript with `args` in a fresh R process that finds this pyrnn (R_LIBS:
# the libraries of this session) and, unless `vars` says otherwise, the same
# Python (RETICULATE_PYTHON is inherited). `vars`: environment variables for
# it (NA: unset); `wd`: its working directory. Returns list(status, output):
# status NULL when it succeeded.
run_rscript <- function(args, vars = character(), wd = getwd()) {
  vars <- c(c(R_LIBS = paste(.libPaths(), collapse = .Platform$path.sep)), vars)
  old_wd <- setwd(wd)
  on.exit(setwd(old_wd))
  # a failing run is reported by the status the tests check, not by a warning
  output <- with_envvars(vars, suppressWarnings(system2(rscript(), args, stdout = TRUE, stderr = TRUE)))
  list(status = attr(output, "status"), output = paste(output, collapse = "\n"))
}

# Run R code (lines of text) in a fresh R process, as run_rscript().
run_r <- function(code, vars = character(), wd = getwd()) {
  script <- tempfile(fileext = ".R")
  writeLines(code, script)
  on.exit(unlink(script))
  run_rscript(shQuote(script), vars, wd)
}
