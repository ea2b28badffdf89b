# MNIST as plain R matrices.

#' Read MNIST, as the cookbook does
#'
#' `mnist <- read_data_sets("MNIST-data", one_hot = TRUE)` reads the four
#' canonical MNIST files (IDX format, gzip or plain) from a folder and returns
#' the splits as plain R matrices, one image per row:
#' `mnist$train$images` (N x 784, values in 0..1), `mnist$train$labels`
#' (N x 10 one-hot, or N class ids 0..9 with `one_hot = FALSE`), and the same
#' for `mnist$validation` and `mnist$test`.
#'
#' `read_data_sets("sample")` reads the real-MNIST subset bundled with pyrnn
#' (15,000 training and 2,000 test images: with the default
#' `validation_size`, 10,000 train and 5,000 validation), so everything runs
#' without a download.
#'
#' @param train_dir A folder holding `train-images-idx3-ubyte.gz`,
#'   `train-labels-idx1-ubyte.gz`, `t10k-images-idx3-ubyte.gz` and
#'   `t10k-labels-idx1-ubyte.gz` (gzip or plain), or "sample".
#' @param one_hot `TRUE` for one-hot label rows, `FALSE` for class ids.
#' @param validation_size The first this many training images become
#'   `validation`.
#' @param download Fetch missing files from the public MNIST mirrors
#'   (checksums verified).
#' @param verify Check each file's checksum against the published one.
#' @param seed Seeds the shuffling of the Python side's `next_batch()`; not
#'   used by the R functions.
#' @return A list of class "pyrnn_datasets" with elements `train`,
#'   `validation` and `test` (each a list of `images`, `labels` and
#'   `num_examples`) and `source` (where the data came from).
#' @export
#' @examplesIf pyrnn_available()
#' mnist <- read_data_sets("sample", one_hot = TRUE)
#' dim(mnist$train$images)
#' mnist
read_data_sets <- function(train_dir = "MNIST-data", one_hot = TRUE, validation_size = 5000,
                           download = FALSE, verify = FALSE, seed = NULL) {
  datasets <- call_python(pyrnn_module()$read_data_sets, capture_args(list(
    train_dir = as_path, one_hot = as_flag, validation_size = as_optional_int, download = as_flag,
    verify = as_flag, seed = as_optional_int)))
  split <- function(part) {
    labels <- part$labels
    labels <- if (length(dim(labels)) == 2) unname(labels) else as.integer(labels) # one-hot rows or class ids
    list(images = unname(part$images), labels = labels, num_examples = part$num_examples)
  }
  structure(list(train = split(datasets$train), validation = split(datasets$validation),
                 test = split(datasets$test), source = datasets$source),
            class = "pyrnn_datasets")
}

#' @export
print.pyrnn_datasets <- function(x, ...) {
  cat(sprintf("MNIST from %s\n", x$source))
  for (name in c("train", "validation", "test")) {
    part <- x[[name]]
    labels <- if (is.matrix(part$labels)) sprintf("labels %d x %d one-hot", nrow(part$labels),
                                                  ncol(part$labels)) else "labels: class ids"
    cat(sprintf("  $%-10s images %d x %d, %s\n", name, nrow(part$images), ncol(part$images), labels))
  }
  invisible(x)
}
