# Where the Python side writes when R runs it: never the user's home folder
# outside R's conventions, and nothing outside tempdir() under R CMD check.

# The folder of pyrnn's disk cache of compiled graphs for this R session (the
# one rule on the R side; pyrnn.graphcache.cache_dir() is Python's, which
# follows XDG): PYRNN_CACHE_DIR if set (empty: no cache); else, under
# R CMD check (which sets _R_CHECK_PACKAGE_NAME_ for the examples, tests and
# vignettes it runs), a folder in tempdir(); else R's per-user cache folder,
# tools::R_user_dir("pyrnn", "cache"). A relative XDG_CACHE_HOME is ignored
# there as Python and the XDG spec ignore it.
pyrnn_cache_dir <- function() {
  chosen <- Sys.getenv("PYRNN_CACHE_DIR", unset = NA)
  if (!is.na(chosen)) return(if (nzchar(chosen)) normalizePath(chosen, mustWork = FALSE) else "")
  if (nzchar(Sys.getenv("_R_CHECK_PACKAGE_NAME_"))) return(file.path(tempdir(), "pyrnn-graphs"))
  xdg <- Sys.getenv("XDG_CACHE_HOME")
  if (nzchar(xdg) && !is_absolute_path(xdg)) {
    Sys.unsetenv("XDG_CACHE_HOME")
    on.exit(Sys.setenv(XDG_CACHE_HOME = xdg))
  }
  tools::R_user_dir("pyrnn", "cache")
}

is_absolute_path <- function(path) grepl("^(/|~|[A-Za-z]:[/\\\\]|\\\\\\\\)", path)

# Set, in the Python of this session once pyrnn is loaded, where the Python
# side writes: the graph cache at pyrnn_cache_dir(); Python's temporary files
# (AutoGraph writes a module per converted function) inside tempdir(), which R
# removes on exit; Keras's folder, as Keras 3 writes ~/.keras/keras.json on
# import when it is missing: then KERAS_HOME goes to tempdir() (a user's own
# keras.json, or KERAS_HOME, is left to rule); matplotlib's likewise.
use_session_folders <- function() {
  environ <- reticulate::import("os", convert = FALSE)$environ
  set_in_python <- function(name, value) reticulate::py_set_item(environ, name, value)
  set_in_python("PYRNN_CACHE_DIR", pyrnn_cache_dir())
  reticulate::py_set_attr(reticulate::import("tempfile", convert = FALSE), "tempdir", tempdir())
  unset <- function(name) is.null(reticulate::py_to_r(environ$get(name)))
  if (unset("KERAS_HOME") && !file.exists(path.expand("~/.keras/keras.json"))) {
    set_in_python("KERAS_HOME", file.path(tempdir(), "keras"))
  }
  # matplotlib (which some of pyrnn's modules import) writes its font list on import
  if (unset("MPLCONFIGDIR") && !any(dir.exists(path.expand(c("~/.config/matplotlib", "~/.cache/matplotlib"))))) {
    set_in_python("MPLCONFIGDIR", file.path(tempdir(), "matplotlib"))
  }
  invisible()
}
