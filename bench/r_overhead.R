# What calling pyrnn from R costs, against the same work in Python, on full MNIST.
#
#   R CMD INSTALL --library=build/rlib .
#   R_LIBS=build/rlib RETICULATE_PYTHON=$PWD/.venv/bin/python Rscript bench/r_overhead.R \
#       [MNIST folder, default ../shared/data/mnist] [results JSON, default bench/results/r_overhead.json]
#
# Measured (median of `reps` runs each, in one process: the Python side runs in
# the interpreter reticulate embeds, timed with time.perf_counter inside Python):
#   1. the cookbook's t(apply(images, 1, FUN = reduceImage)) on the 55,000 training images;
#   2. reduceImage(images) on the same matrix from R, against pyrnn.reduceImage on the
#      same images in Python (float32, as read_data_sets gives them); and, to show where
#      R's time goes, the Python work alone on the R matrix (no conversion back) and the
#      conversion of the 55,000 x 256 float32 result to an R matrix (reticulate 1.28:
#      a cast to float64 and an element-by-element copy into a 112 MB R matrix);
#   3. the basic RNN recipe's training (100 iterations, batch 500, lr 0.01, seed 0) on
#      the 55,000 reduced images: train_rnn from R on R matrices against pyrnn.train_rnn
#      in Python on NumPy arrays, a fresh model each run, the whole call timed (it
#      includes the compilation, identical on both sides); without a callback, and
#      with a callback run after every iteration (an R function from R, a Python one
#      from Python).
suppressPackageStartupMessages(library(pyrnn))

args <- commandArgs(trailingOnly = TRUE)
mnist_dir <- if (length(args) >= 1) args[[1]] else file.path("..", "shared", "data", "mnist")
out_file <- if (length(args) >= 2) args[[2]] else file.path("bench", "results", "r_overhead.json")
reps <- as.integer(Sys.getenv("PYRNN_BENCH_REPS", "5"))

seconds <- function(expr) unname(system.time(expr)[["elapsed"]])
median_of <- function(times) stats::median(unlist(times))

config <- pyrnn_config()
mnist <- read_data_sets(mnist_dir, one_hot = TRUE)
images <- mnist$train$images
labels <- mnist$train$labels
cat(sprintf("\n%d training images from %s, %d repetitions per measurement\n\n", nrow(images), mnist$source, reps))

py <- reticulate::py
py$bench_dir <- normalizePath(mnist_dir)
reticulate::py_run_string(paste(
  "import time, pyrnn",
  "bench_mnist = pyrnn.read_data_sets(bench_dir)",
  "def bench_reduce():",
  "    start = time.perf_counter()",
  "    pyrnn.reduceImage(bench_mnist.train.images)",
  "    return time.perf_counter() - start",
  "bench_x = pyrnn.reduceImage(bench_mnist.train.images)",
  "def bench_train(with_callback):",
  "    model = pyrnn.rnn(n_hidden=64, n_class=10, step_size=16, n_input=16, seed=0)",
  "    seen = []",
  "    callback = (lambda i, loss: seen.append(loss)) if with_callback else None",
  "    start = time.perf_counter()",
  "    pyrnn.train_rnn(model, bench_x, bench_mnist.train.labels, lr=0.01, batch=500, iteration=100, seed=0,",
  "                    callback=callback)",
  "    return time.perf_counter() - start",
  sep = "\n"), local = FALSE, convert = TRUE)

# 1. The cookbook's per-row apply
apply_seconds <- seconds(trainData <- t(apply(images, 1, FUN = reduceImage)))
cat(sprintf("apply(images, 1, reduceImage), %d rows:  %.1f s (%.0f us per image)\n", nrow(images),
            apply_seconds, 1e6 * apply_seconds / nrow(images)))

# 2. The whole matrix in one call, R against Python
stopifnot(identical(reduceImage(images), trainData))
r_reduce <- median_of(lapply(seq_len(reps), function(i) seconds(reduceImage(images))))
py_reduce <- median_of(lapply(seq_len(reps), function(i) py$bench_reduce()))
cat(sprintf("reduceImage(matrix): R %.3f s, Python %.3f s, ratio %.2f\n", r_reduce, py_reduce, r_reduce / py_reduce))
raw_pyrnn <- reticulate::import("pyrnn", convert = FALSE)
r_python_part <- median_of(lapply(seq_len(reps), function(i) seconds(raw_pyrnn$reduceImage(images))))
reduced <- raw_pyrnn$reduceImage(images)
r_conversion <- median_of(lapply(seq_len(reps), function(i) seconds(reticulate::py_to_r(reduced))))
cat(sprintf("  of R's time: Python work on the R matrix %.3f s, result to R %.3f s\n", r_python_part, r_conversion))

# 3. Training, R against Python, alternating so both see the same machine
train_r <- function(with_callback) {
  model <- rnn(n.hidden = 64, n.class = 10, step_size = 16, n_input = 16, seed = 0)
  seen <- numeric(0)
  callback <- if (with_callback) function(i, loss) seen[i] <<- loss else NULL
  seconds(train_rnn(model, trainData, labels, lr = 0.01, batch = 500, iteration = 100, seed = 0,
                    callback = callback))
}
invisible(py$bench_train(FALSE)) # warm-up: first TensorFlow use, thread pools
training <- list()
for (with_callback in c(FALSE, TRUE)) {
  times <- list(r = numeric(0), python = numeric(0))
  for (i in seq_len(reps)) {
    times$r <- c(times$r, train_r(with_callback))
    times$python <- c(times$python, py$bench_train(with_callback))
  }
  label <- if (with_callback) "with_callback" else "no_callback"
  training[[label]] <- list(r_seconds = median(times$r), python_seconds = median(times$python),
                            r_runs = times$r, python_runs = times$python,
                            overhead_percent = 100 * (median(times$r) / median(times$python) - 1))
  cat(sprintf("train_rnn, basic RNN, 100 iterations, %s: R %.2f s, Python %.2f s, R adds %+.1f%%\n",
              gsub("_", " ", label), median(times$r), median(times$python), training[[label]]$overhead_percent))
}

results <- list(
  machine = list(cores = parallel::detectCores(), python = config$python, tensorflow = config$tensorflow,
                 numpy = config$numpy, reticulate = config$reticulate, r = R.version.string),
  images = nrow(images), reps = reps,
  apply_reduceImage_seconds = apply_seconds,
  reduceImage_matrix = list(r_seconds = r_reduce, python_seconds = py_reduce, ratio = r_reduce / py_reduce,
                            r_python_work_seconds = r_python_part, r_result_conversion_seconds = r_conversion),
  training = training)
reticulate::import("pyrnn.files")$write_json(out_file, results)
cat(sprintf("\nwritten: %s\n", out_file))
