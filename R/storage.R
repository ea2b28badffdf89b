# Saving and loading models.

#' Save and load trained models
#'
#' `save_rnn()` writes a model (architecture and weights) to a `.keras` file,
#' atomically: a run killed while saving never leaves a half-written file.
#' After [train_rnn()] the file also holds the model's Adam state, so that
#' training the loaded model continues exactly as the saved one would; a file
#' of an earlier pyrnn holds none, and its first [train_rnn()] warns that Adam
#' starts afresh.
#' `load_rnn()` reads it back without running code from the file: a file
#' carrying a Lambda layer or other Python code is refused, and a file that is
#' not a model gets a clear error.
#'
#' @param model A model from [rnn()], [bidirectionRNN()], [stacked_rnn()],
#'   [lstm()] or [load_rnn()].
#' @param path The `.keras` file (".keras" is appended to another suffix,
#'   unless `path` names a folder). `save_rnn()` replaces a model file there,
#'   and refuses a folder or any other file (your files are never written
#'   over). `load_rnn()` also takes a run folder (its `model.keras`) and `NAME` for
#'   the `NAME.keras` that `save_rnn(model, "NAME")` wrote.
#' @param reduce_method How the training images were shrunk ([reduceImage()]'s
#'   `method`); it is stored in the file, so that the Python package's
#'   command-line tools (`pyrnn evaluate`, `pyrnn predict`) reduce images the
#'   same way.
#' @return `save_rnn()`: the path written, invisibly. `load_rnn()`: the model
#'   (class "pyrnn_model").
#' @export
#' @examplesIf pyrnn_available()
#' model <- rnn(n.hidden = 16, seed = 1)
#' file <- save_rnn(model, tempfile(fileext = ".keras"))
#' same <- load_rnn(file)
#' same
save_rnn <- function(model, path, reduce_method = "nearest") {
  written <- call_python(pyrnn_tf()$save_rnn, capture_args(STORAGE_ARGS))
  invisible(as.character(reticulate::py_str(written)))
}

#' @rdname save_rnn
#' @export
load_rnn <- function(path) {
  as_pyrnn_model(call_python(pyrnn_tf()$load_rnn, capture_args(STORAGE_ARGS)))
}

STORAGE_ARGS <- list(model = check_model, path = as_path, reduce_method = as_string)
