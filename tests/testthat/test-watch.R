# Watching training from R: validation checks, early stopping, TensorBoard
# logs, the history's summary, data frame and plot, the progress line, and the
# backends. Small models on a few hundred rows of the 16 x 16 sample.

skip_if_no_python()

watch_data <- function() {
  data <- sample16()
  list(x = data$x_train[1:400, ], y = data$y_train[1:400, ], x_val = data$x_test[1:200, ],
       y_val = data$y_test[1:200, ])
}

# One run with validation every 10 iterations, shared by the tests below.
validated_run <- function() {
  if (is.null(shared$validated)) {
    d <- watch_data()
    model <- rnn(n.hidden = 16, seed = 1)
    history <- train_rnn(model, d$x, d$y, batch = 50, iteration = 25, seed = 1,
                         validation_data = list(d$x_val, d$y_val), validate_every = 10)
    shared$validated <- list(model = model, history = history)
  }
  shared$validated
}

test_that("validation runs every validate_every iterations and at the last; the last check is evaluate_rnn's", {
  run <- validated_run()
  d <- watch_data()
  history <- run$history
  expect_identical(history$val_iteration, c(10L, 20L, 25L))
  expect_length(history$val_loss, 3)
  expect_length(history$val_accuracy, 3)
  expect_null(history$stopped)
  expect_identical(history$best_iteration, history$val_iteration[[which.min(history$val_loss)]])
  result <- evaluate_rnn(run$model, d$x_val, d$y_val)
  expect_equal(history$val_loss[[3]], result$cost, tolerance = 1e-5)
  expect_equal(history$val_accuracy[[3]], result$accuracy)
  # a named list and class ids are accepted as validation data too
  again <- train_rnn(rnn(n.hidden = 8, seed = 1), d$x, d$y, batch = 50, iteration = 4, seed = 1,
                     validation_data = list(x = d$x_val, y = max.col(d$y_val) - 1L), validate_every = 3)
  expect_identical(again$val_iteration, c(3L, 4L))
})

test_that("patience stops the run early and puts back the best weights", {
  d <- watch_data()
  model <- rnn(n.hidden = 16, seed = 1)
  history <- train_rnn(model, d$x, d$y, lr = 0.05, batch = 50, iteration = 300, seed = 1,
                       validation_data = list(d$x_val, d$y_val), validate_every = 5, patience = 2)
  expect_identical(history$stopped, "early stopping")
  expect_lt(length(history$loss), 300)
  expect_identical(history$iterations_done, length(history$loss))
  expect_identical(utils::tail(history$val_iteration, 1), length(history$loss))
  expect_identical(history$best_iteration, history$val_iteration[[which.min(history$val_loss)]])
  expect_equal(evaluate_rnn(model, d$x_val, d$y_val)$cost, min(history$val_loss), tolerance = 1e-5)
  printed <- paste(capture.output(print(history)), collapse = "\n")
  expect_match(printed, "stopped: early stopping")
  expect_match(printed, sprintf("early stopping after %d of 300 iterations", length(history$loss)))
  expect_match(printed, "validation \\([0-9]+ checks\\): last loss [0-9.]+, accuracy [0-9.]+")
  expect_error(train_rnn(model, d$x, d$y, batch = 50, iteration = 5, patience = 2),
               "patience needs validation_data", class = "pyrnn_error")
})

test_that("log_dir writes TensorBoard event files for training and validation", {
  d <- watch_data()
  log_dir <- tempfile("tb")
  on.exit(unlink(log_dir, recursive = TRUE))
  train_rnn(rnn(n.hidden = 8, seed = 1), d$x, d$y, batch = 50, iteration = 6, seed = 1,
            validation_data = list(d$x_val, d$y_val), validate_every = 3, log_dir = log_dir)
  for (part in c("train", "validation")) {
    events <- list.files(file.path(log_dir, part), pattern = "^events\\.out\\.tfevents", full.names = TRUE)
    expect_length(events, 1)
    expect_gt(file.size(events), 0)
  }
})

test_that("as.data.frame() has one row per iteration, NA where there was no check", {
  history <- validated_run()$history
  frame <- as.data.frame(history)
  expect_identical(names(frame), c("iteration", "loss", "val_loss", "val_accuracy"))
  expect_identical(nrow(frame), 25L)
  expect_identical(frame$iteration, 1:25)
  expect_identical(frame$loss, history$loss)
  expect_identical(which(!is.na(frame$val_loss)), c(10L, 20L, 25L))
  expect_identical(which(!is.na(frame$val_accuracy)), c(10L, 20L, 25L))
  expect_identical(frame$val_loss[c(10, 20, 25)], history$val_loss)
  plain <- as.data.frame(train_rnn(rnn(n.hidden = 4, seed = 1), watch_data()$x, watch_data()$y, batch = 50,
                                   iteration = 3, seed = 1))
  expect_identical(dim(plain), c(3L, 4L))
  expect_true(all(is.na(plain$val_loss)) && all(is.na(plain$val_accuracy)))
})

test_that("summary() sums up the run and prints", {
  history <- validated_run()$history
  s <- summary(history)
  expect_s3_class(s, "summary.pyrnn_history")
  expect_identical(s$iterations_done, 25L)
  expect_identical(s$iterations_asked, 25L)
  expect_identical(s$final_loss, history$loss[[25]])
  expect_identical(s$best_val_loss, min(history$val_loss))
  expect_identical(s$best_iteration, history$best_iteration)
  expect_identical(s$best_val_accuracy, history$val_accuracy[[which.min(history$val_loss)]])
  expect_identical(s$stopped, NA_character_)
  expect_gt(s$seconds, 0)
  expect_gt(s$sequences_per_second, 0)
  printed <- capture.output(returned <- print(s))
  expect_identical(returned, s)
  expect_match(paste(printed, collapse = "\n"), "iterations: +25 of 25")
  expect_match(paste(printed, collapse = "\n"), sprintf("best validation: +loss %.4f", s$best_val_loss))
  expect_match(paste(capture.output(print(history)), collapse = "\n"), "validation \\(3 checks\\)")
})

test_that("plot() draws the training and validation curves into a png", {
  png_file <- tempfile(fileext = ".png")
  grDevices::png(png_file)
  expect_invisible(plot(validated_run()$history))
  grDevices::dev.off()
  expect_gt(file.size(png_file), 1000)
  unlink(png_file)
})

test_that("verbose = TRUE shows cli's progress bar, as plain lines off a terminal; verbose = FALSE prints nothing", {
  d <- watch_data()
  seen <- integer(0)
  old <- options(cli.progress_show_after = 0)
  on.exit(options(old))
  shown <- character(0)
  printed <- capture.output(withCallingHandlers(
    history <- train_rnn(rnn(n.hidden = 8, seed = 1), d$x, d$y, batch = 50, iteration = 12, seed = 1,
                         validation_data = list(d$x_val, d$y_val), validate_every = 6, verbose = TRUE,
                         callback = function(i, loss) {
                           seen <<- c(seen, i)
                           Sys.sleep(0.25) # long enough for cli to show the bar
                         }),
    message = function(m) {
      shown <<- c(shown, conditionMessage(m))
      invokeRestart("muffleMessage")
    }))
  shown <- paste(shown, collapse = "")
  expect_identical(seen, 1:12) # the user's callback still runs
  expect_identical(printed, character(0)) # the bar goes where cli puts it (messages), not into the output
  expect_false(grepl("\r", shown, fixed = TRUE)) # not a terminal: plain lines, never joined by "\r"
  expect_match(shown, sprintf("iteration 12/12  loss %.4f  val_accuracy %.4f", history$loss[[12]],
                              history$val_accuracy[[2]]), fixed = TRUE)
  quiet <- capture.output(quiet_history <- train_rnn(rnn(n.hidden = 8, seed = 1), d$x, d$y, batch = 50, iteration = 12, seed = 1,
                                    validation_data = list(d$x_val, d$y_val), validate_every = 6,
                                    verbose = FALSE), type = "message")
  expect_identical(quiet, character(0))
  expect_identical(quiet_history$loss, history$loss)
  expect_error(train_rnn(rnn(n.hidden = 4, seed = 1), d$x, d$y, verbose = NA), "verbose must be TRUE or FALSE")
  expect_error(train_rnn(rnn(n.hidden = 4, seed = 1), d$x, d$y, iteration = 30, epochs = 1),
               "iteration and epochs both say how long to train", class = "pyrnn_error")
})

test_that("backend = 'kernels' and 'keras' predict about the same", {
  model <- validated_run()$model
  d <- watch_data()
  kernels <- predict(model, d$x_val, type = "prob", backend = "kernels")
  keras <- predict_rnn(model, d$x_val, probabilities = TRUE, backend = "keras")
  expect_equal(kernels, keras, tolerance = 1e-4)
  expect_equal(evaluate_rnn(model, d$x_val, d$y_val, backend = "kernels")$cost,
               evaluate_rnn(model, d$x_val, d$y_val, backend = "keras")$cost, tolerance = 1e-4)
  expect_error(predict_rnn(model, d$x_val, backend = "gpu"), 'unknown backend "gpu"', class = "pyrnn_error")
  history <- train_rnn(rnn(n.hidden = 4, seed = 1), d$x, d$y, batch = 50, iteration = 2, seed = 1, backend = "keras")
  expect_length(history$loss, 2)
})

test_that("validation_data that is not list(x, y) is an R error in R's words", {
  d <- watch_data()
  model <- rnn(n.hidden = 4, seed = 1)
  train <- function(validation_data) {
    train_rnn(model, d$x, d$y, batch = 50, iteration = 2, validation_data = validation_data)
  }
  expect_error(train(d$x_val), "validation_data must be list\\(x_val, y_val\\).*got matrix 200 x 256",
               class = "pyrnn_error")
  expect_error(train(list(d$x_val)), "validation_data must be list\\(x_val, y_val\\).*got a list of length 1",
               class = "pyrnn_error")
  expect_error(train(list(d$x_val, d$y_val, d$y_val)), "got a list of length 3", class = "pyrnn_error")
  expect_error(train(as.data.frame(d$x_val)), "got a data frame", class = "pyrnn_error")
  with_na <- d$x_val
  with_na[1, 1] <- NA
  expect_error(train(list(with_na, d$y_val)), "validation x contains NA", class = "pyrnn_error")
  expect_error(train(list(d$x_val, d$y_val[1:100, ])), "validation y", class = "pyrnn_error")
})
