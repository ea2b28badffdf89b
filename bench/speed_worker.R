# One process of bench/speed.py's "R" row: a recipe as an R user runs it, through the pyrnn R
# package (reticulate), with no call beyond those of the README's R example. bench/speed.py starts
# it, with its own settings, as
#   Rscript bench/speed_worker.R RECIPE DATA.npz WARMUP BLOCKS REPEATS N_HIDDEN BATCH LR ITERATIONS BLOCK
# and reads the JSON line it prints last: the same figures as its Python workers (first and warm
# recipe seconds, steady ms per step, inference seconds), each timed in R around the R call, so
# that they include what R adds: converting R arrays at the boundary and the R callback.
suppressPackageStartupMessages(library(pyrnn))

args <- commandArgs(trailingOnly = TRUE)
recipe <- args[[1]]
data_file <- args[[2]]
warmup <- as.integer(args[[3]])
blocks <- as.integer(args[[4]])
repeats <- as.integer(args[[5]])
n_hidden <- as.integer(args[[6]])
batch <- as.integer(args[[7]])
lr <- as.numeric(args[[8]])
iterations <- as.integer(args[[9]])
block <- as.integer(args[[10]])

# the recipes' builders under their R names
builders <- list(basic = rnn, bidirectional = bidirectionRNN, stacked = stacked_rnn, lstm = lstm)
build <- function() builders[[recipe]](n_hidden = n_hidden, seed = 1L)

# the data as R arrays, as an R user holds them: x [N, 16, 16] (double), y class labels (integer)
saved <- reticulate::import("numpy", convert = FALSE)$load(data_file)
x_train <- reticulate::py_to_r(saved[["x_train"]])
y_train <- reticulate::py_to_r(saved[["y_train"]])
x_test <- reticulate::py_to_r(saved[["x_test"]])

# TensorFlow started before the clock runs, as the Python workers' `from pyrnn import ...` does
invisible(pyrnn_config())

elapsed <- function(expr) unname(system.time(expr)[["elapsed"]])
recipe_seconds <- vapply(1:2, function(k) elapsed({
  model <- build()
  train_rnn(model, x_train, y_train, lr = lr, batch = batch, iteration = iterations, seed = 1L)
}), numeric(1))

# steady: a timestamp at the first callback after each compiled call (CHUNK iterations), as the
# Python worker takes them (Python's clock: R's proc.time() counts whole milliseconds)
chunk <- reticulate::import("pyrnn.compiled")$CHUNK
clock <- reticulate::import("time")$perf_counter
stamps <- numeric(0)
stamp <- function(i, loss) if (i %% chunk == 1 %% chunk) stamps <<- c(stamps, clock())
model <- build()
invisible(train_rnn(model, x_train, y_train, lr = lr, batch = batch, iteration = warmup + blocks * block + chunk,
                    seed = 1L, callback = stamp))
kept <- stamps[seq(warmup %/% chunk + 1, length(stamps), by = block %/% chunk)]
step_ms <- stats::median(diff(kept) / block) * 1000

infer_seconds <- vapply(seq_len(repeats + 1), function(k) elapsed(predict_rnn(model, x_test)), numeric(1))[-1]

cat(sprintf(
  '{"first_seconds": %.4f, "warm_seconds": %.4f, "step_ms": %.4f, "inference_seconds": %.4f, "intra_op_threads": %d}\n',
  recipe_seconds[[1]], recipe_seconds[[2]], step_ms, stats::median(infer_seconds),
  reticulate::import("tensorflow")$config$threading$get_intra_op_parallelism_threads()))
