# The basic RNN cell by hand, beside the library's: a worked example (2
# inputs, 2 hidden units, tanh, 3 time steps) with every intermediate value,
# then the same cell h_t = tanh([x_t, h_{t-1}] W + b) four ways on random
# data: NumPy, TensorFlow ops unrolled (static) or in a graph loop (dynamic),
# and Keras' SimpleRNN holding the same weights.
#
#   demo("cell", package = "pyrnn")
#   Rscript -e 'demo("cell", package = "pyrnn")' batch=8 steps=10 seed=1
#
# Settings, each name=value after the command (read by recipe_args()): batch
# (sequences in the random batch, default 4), steps (time steps, default 6), seed
# (of R's random numbers, default 0).
library(pyrnn)

settings <- recipe_args(list(batch = 4, steps = 6, seed = 0))

print(worked_example())

set.seed(settings$seed)
n_input <- 3
n_hidden <- 5
x <- array(rnorm(settings$batch * settings$steps * n_input), c(settings$batch, settings$steps, n_input)) # the sequences
# the weights: the rows for the input, then those for the state
W <- matrix(rnorm((n_input + n_hidden) * n_hidden, sd = 0.5), n_input + n_hidden, n_hidden)
b <- rnorm(n_hidden, sd = 0.1)

# The same cell in plain R, as a check of the formula
h <- matrix(0, dim(x)[1], n_hidden)
for (t in seq_len(dim(x)[2])) h <- tanh(cbind(x[, t, ], h) %*% W + matrix(b, nrow(h), n_hidden, byrow = TRUE))

reference <- cell_forward(x, W, b, backend = "numpy")
cat(sprintf("\nplain R vs NumPy, final state: largest difference %.1e\n", max(abs(h - reference$final_state))))
cat("Largest difference from the NumPy pass:\n")
for (backend in c("tf", "keras")) {
  for (mode in c("static", "dynamic")) {
    run <- cell_forward(x, W, b, backend = backend, mode = mode)
    cat(sprintf("  %-5s %-7s outputs %.1e   final state = last output: %s\n", backend, mode,
                max(abs(run$outputs - reference$outputs)),
                identical(run$final_state, run$outputs[, dim(x)[2], ])))
  }
}
