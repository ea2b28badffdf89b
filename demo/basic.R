# Setting up a basic RNN: chapter 6 of the R Deep Learning Cookbook, on pyrnn.
#
#   demo("basic", package = "pyrnn")     # the MNIST sample bundled with pyrnn; the plot on the screen
#   Rscript -e 'demo("basic", package = "pyrnn")' iterations=20 batch=100 n_hidden=32
#   Rscript -e 'demo("basic", package = "pyrnn")' data=~/MNIST-data plot=basic_loss.png
#
# Settings, each name=value after the command (read by recipe_args()):
#   data        "sample" (default), "auto" or a folder of MNIST files
#   iterations  training batches (default 100)
#   batch       images per batch (default 500)
#   n_hidden    hidden units (default 64)
#   lr          Adam's learning rate (default 0.01)
#   seed        fixes the initial weights and the batches (default 0)
#   plot        a PNG file for the convergence plot (default: none, the plot is drawn on
#               the current graphics device)
library(pyrnn)

settings <- recipe_args(list(data = "sample", iterations = 100, batch = 500, n_hidden = 64, lr = 0.01, seed = 0,
                             plot = ""))

# Load the MNIST dataset
mnist <- read_data_sets(settings$data, one_hot = TRUE)

# Convert train data to 16 x 16 pixel images
trainData <- t(apply(mnist$train$images, 1, FUN = reduceImage))
validData <- t(apply(mnist$test$images, 1, FUN = reduceImage))

# Extract the labels of the train and valid datasets
labels <- mnist$train$labels
labels_valid <- mnist$test$labels

# Define model parameters
n_input <- 16
step_size <- 16
n.hidden <- settings$n_hidden
n.class <- 10

# Define training parameters
lr <- settings$lr
batch <- settings$batch
iteration <- settings$iterations
seed <- settings$seed

# Set up the most basic RNN: each image is 16 steps of 16 pixels, read by n.hidden tanh
# units (BasicRNNCell); the last step's output feeds a linear layer of 10 classes
model <- rnn(n.hidden = n.hidden, n.class = n.class, step_size = step_size, n_input = n_input,
             seed = seed)

# Run the optimisation: each iteration a random batch, one Adam step; the callback prints
# the loss as the cookbook's loop did (verbose = FALSE: no progress line besides it)
history <- train_rnn(model, trainData, labels, lr = lr, batch = batch, iteration = iteration,
                     seed = seed, verbose = FALSE, callback = function(i, loss) {
                       cat("iteration - ", i, "Training Loss - ", loss, "\n")
                     })

# Mean accuracy and cost on the valid data
yhat <- predict(model, validData, type = "prob")
cat("Validation accuracy - ", eval_acc(yhat, labels_valid), "\n")
cat("Validation cost - ", evaluate_rnn(model, validData, labels_valid)$cost, "\n")

# Convergence plot of the training loss: on the screen, or in the PNG file plot=FILE
recipe_plot(settings$plot, plot(history, main = "Setting up a basic RNN: convergence on MNIST"))
