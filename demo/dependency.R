# The binary-dependency task against its known answers. X_t is a fair coin;
# P(Y_t = 1) = 0.5 + 0.5 [X_{t-3} = 1] - 0.25 [X_{t-8} = 1]. The cross-entropy
# a network can reach is known: 0.66 (it learns nothing), 0.52 (it learns the
# X_{t-3} dependency), 0.45 (it learns both). A 5-step window with 4 units
# settles near 0.52 (X_{t-8} is out of its reach); 10 steps with 16 units
# get down towards 0.45.
#
#   demo("dependency", package = "pyrnn")                 # 1 epoch over a series of 1,000,000 values
#   Rscript -e 'demo("dependency", package = "pyrnn")' num_epochs=1 size=200000 seed=0
#
# Settings, each name=value after the command (read by recipe_args()): num_epochs,
# size, seed, and plot, a PNG file for the loss plot (default: none, the plot is
# drawn on the current graphics device).
library(pyrnn)

settings <- recipe_args(list(num_epochs = 1, size = 1e6, seed = 0, plot = ""))

# The three cross-entropies a model can reach, computed exactly
expected <- expected_cross_entropy()
for (name in names(expected)) cat(sprintf("expected, %-18s %.4f\n", gsub("_", " ", name), expected[[name]]))

# Train the tutorial's two networks: Adagrad lr 0.1, batch 200, state carried across windows
runs <- list()
for (shape in list(c(num_steps = 5, state_size = 4), c(num_steps = 10, state_size = 16))) {
  run <- train_dependency(num_steps = shape[["num_steps"]], state_size = shape[["state_size"]],
                          num_epochs = settings$num_epochs, size = settings$size, seed = settings$seed)
  label <- sprintf("num_steps = %d, state_size = %d", shape[["num_steps"]], shape[["state_size"]])
  runs[[label]] <- run
  cat(sprintf("%s: %d steps, final loss %.4f (closest: %s)\n", label, run$steps, run$final_loss,
              gsub("_", " ", run$closest)))
}

# The averaged loss of both runs against the expected values: on the screen, or in
# the PNG file plot=FILE
curves <- lapply(runs, function(run) if (length(run$curve)) run$curve else run$loss)
recipe_plot(settings$plot, {
  plot(runs[[1]], ylim = range(c(unlist(curves), expected)))
  lines(seq_along(curves[[2]]), curves[[2]], col = "steelblue")
  legend("topright", names(runs), lty = 1, col = c("black", "steelblue"))
})
