# The Python module `pyrnn`, imported on first use. .onLoad only chooses the
# Python (see python.R), declares pyrnn's requirements to reticulate >= 1.41
# when it is reticulate that provides the Python, and sets up the delayed
# import, so library(pyrnn) is fast and never fails for lack of Python: the
# first call that needs it does.
pyrnn_py <- NULL

# Package state: how the Python was chosen, the load error (kept so every later
# call repeats it), and Python callables cached for the per-row fast path.
.state <- new.env(parent = emptyenv())

.onLoad <- function(libname, pkgname) {
  .state$choice <- choose_python()
  if (!is.null(.state$choice$requirements)) {
    # pyrnn itself, from the copy installed with this package: uv reads its
    # dependencies from its pyproject.toml. py_require() exists from
    # reticulate 1.41 on, hence the lookup instead of reticulate::py_require.
    py_require <- getExportedValue("reticulate", "py_require")
    py_require(.state$choice$requirements)
  }
  pyrnn_py <<- reticulate::import("pyrnn", delay_load = list(
    priority = 10,
    environment = pyrnn_envname(),
    before_load = check_python_choice,
    on_error = function(error) stop_python_missing(conditionMessage(error))
  ))
}
