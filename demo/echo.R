# The echo task ("roll game"): a basic RNN learns to repeat a random binary
# series 3 steps later, trained with truncated backpropagation (windows of 15
# steps, the state carried from window to window). With the state reset at
# every window instead, the first 3 steps of each window become guesses.
#
#   demo("echo", package = "pyrnn")                          # 5 epochs at most
#   Rscript -e 'demo("echo", package = "pyrnn")' num_epochs=2 total_series_length=10000 echo_step=3 seed=0
#
# Settings, each name=value after the command (read by recipe_args()): num_epochs,
# total_series_length, echo_step, seed, and plot, a PNG file for the loss plot
# (default: none, the plot is drawn on the current graphics device).
library(pyrnn)

settings <- recipe_args(list(num_epochs = 5, total_series_length = 50000, echo_step = 3, seed = 0, plot = ""))

# The data: a random binary series, and the same series echo_step steps later
data <- echo_data(total_series_length = 40, echo_step = settings$echo_step, batch_size = 2, seed = settings$seed)
cat("input x (2 rows of the series):\n")
print(data$x)
cat("target y (x shifted by", settings$echo_step, "steps):\n")
print(data$y)

# Train with the state carried between windows, then with it reset
runs <- list()
for (carry_state in c(TRUE, FALSE)) {
  run <- train_echo(total_series_length = settings$total_series_length, echo_step = settings$echo_step,
                    num_epochs = settings$num_epochs, seed = settings$seed, carry_state = carry_state)
  label <- if (carry_state) "state carried" else "state reset every window"
  runs[[label]] <- run
  cat(sprintf("%-26s epochs %d, steps %d, final loss %.4f, accuracy %.2f%%\n", label, run$epochs, run$steps,
              tail(run$loss, 1), 100 * run$accuracy))
}

# The loss per step of both runs: on the screen, or in the PNG file plot=FILE
recipe_plot(settings$plot, {
  plot(runs[[1]], ylim = range(unlist(lapply(runs, `[[`, "loss"))), main = "Echo task: loss per step")
  lines(seq_along(runs[[2]]$loss), runs[[2]]$loss, col = "gray50")
  legend("topright", names(runs), lty = 1, col = c("black", "gray50"))
})
