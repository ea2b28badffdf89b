# Setting up a basic RNN: chapter 6 of the R Deep Learning Cookbook, on pyrnn.
#
#   Rscript recipes/R/basic_rnn.R               # the MNIST sample bundled with pyrnn
#   Rscript recipes/R/basic_rnn.R ~/MNIST-data  # full MNIST: a folder with the four IDX files
#   Rscript recipes/R/basic_rnn.R sample 5      # 5 iterations (or PYRNN_ITERATIONS=5)
#
# PYRNN_SEED (default 0) fixes the initial weights and the batches; PYRNN_PLOT
# names the PNG of the convergence plot (default runs/R/basic_rnn_loss.png).
library(pyrnn)

args <- commandArgs(trailingOnly = TRUE)
data_dir <- if (length(args) >= 1) args[[1]] else "sample"
iterations_asked <- if (length(args) >= 2) args[[2]] else Sys.getenv("PYRNN_ITERATIONS")

# Load the MNIST dataset
mnist <- read_data_sets(data_dir, one_hot = TRUE)

# Convert train data to 16 x 16 pixel images
trainData <- t(apply(mnist$train$images, 1, FUN = reduceImage))
validData <- t(apply(mnist$test$images, 1, FUN = reduceImage))

# Extract the labels of the train and valid datasets
labels <- mnist$train$labels
labels_valid <- mnist$test$labels

# Define model parameters
n_input <- 16
step_size <- 16
n.hidden <- 64
n.class <- 10

# Define training parameters
lr <- 0.01
batch <- 500
iteration <- 100
if (nzchar(iterations_asked)) iteration <- as.integer(iterations_asked)
seed <- as.integer(Sys.getenv("PYRNN_SEED", "0"))

# Set up the most basic RNN: each image is 16 steps of 16 pixels, read by 64 tanh
# units (BasicRNNCell); the last step's output feeds a linear layer of 10 classes
model <- rnn(n.hidden = n.hidden, n.class = n.class, step_size = step_size, n_input = n_input,
             seed = seed)

# Run the optimisation: each iteration a random batch, one Adam step
history <- train_rnn(model, trainData, labels, lr = lr, batch = batch, iteration = iteration,
                     seed = seed, callback = function(i, loss) {
                       cat("iteration - ", i, "Training Loss - ", loss, "\n")
                     })

# Mean accuracy and cost on the valid data
yhat <- predict(model, validData, type = "prob")
cat("Validation accuracy - ", eval_acc(yhat, labels_valid), "\n")
cat("Validation cost - ", evaluate_rnn(model, validData, labels_valid)$cost, "\n")

# Convergence plot of the training loss
plot_file <- Sys.getenv("PYRNN_PLOT", file.path("runs", "R", "basic_rnn_loss.png"))
dir.create(dirname(plot_file), recursive = TRUE, showWarnings = FALSE)
png(plot_file, width = 720, height = 450)
plot(history, main = "Setting up a basic RNN: convergence on MNIST")
invisible(dev.off())
cat("Convergence plot: ", plot_file, "\n")
