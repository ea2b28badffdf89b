skip_if_no_python()

# One short run shared by the tests below: a basic RNN on the 16 x 16 sample.
trained <- function() {
  if (is.null(shared$trained)) {
    data <- sample16()
    model <- rnn(n.hidden = 32, seed = 1)
    seen <- integer(0)
    history <- train_rnn(model, data$x_train, data$y_train, lr = 0.01, batch = 100, iteration = 60, seed = 1,
                         callback = function(i, loss) seen <<- c(seen, i))
    shared$trained <- list(model = model, history = history, seen = seen)
  }
  shared$trained
}

test_that("a short training run learns: well above chance on the sample's test images", {
  run <- trained()
  data <- sample16()
  result <- evaluate_rnn(run$model, data$x_test, data$y_test)
  expect_gt(result$accuracy, 0.5) # chance is 0.1
  expect_lt(result$cost, log(10))
  expect_identical(result$n, 2000L)
  expect_lt(mean(tail(run$history$loss, 10)), mean(head(run$history$loss, 10)))
})

test_that("train_rnn returns a history with print, plot and a data frame", {
  history <- trained()$history
  expect_s3_class(history, "pyrnn_history")
  expect_length(history$loss, 60)
  expect_identical(trained()$seen, 1:60)
  expect_identical(c(history$lr, history$batch, history$seed), c(0.01, 100, 1))
  expect_match(paste(capture.output(print(history)), collapse = "\n"), "60 iterations \\(lr 0.01, batch 100, seed 1\\)")
  expect_identical(as.data.frame(history)$loss, history$loss)
  png_file <- tempfile(fileext = ".png")
  grDevices::png(png_file)
  expect_invisible(plot(history))
  grDevices::dev.off()
  expect_gt(file.size(png_file), 1000)
})

test_that("eval_acc, evaluate_rnn and predict agree", {
  model <- trained()$model
  data <- sample16()
  prob <- predict(model, data$x_test, type = "prob")
  accuracy <- evaluate_rnn(model, data$x_test, data$y_test)$accuracy
  expect_equal(eval_acc(prob, data$y_test), accuracy)
  expect_equal(eval_acc(predict(model, data$x_test), max.col(data$y_test) - 1L), accuracy)
  expect_identical(predict_rnn(model, data$x_test[1:9, ]), predict(model, data$x_test[1:9, ]))
  expect_equal(eval_acc(rbind(c(0.1, 0.9), c(0.8, 0.2)), rbind(c(0, 1), c(0, 1))), 0.5)
})

test_that("the same seeds give the same run; data frames and class ids are accepted", {
  data <- sample16()
  run <- function() {
    train_rnn(rnn(n.hidden = 8, seed = 7), as.data.frame(data$x_train[1:500, ]), max.col(data$y_train[1:500, ]) - 1L,
              batch = 50, iteration = 3, seed = 7)$loss
  }
  expect_identical(run(), run())
})

test_that("bad training input is an R error saying what was expected", {
  model <- rnn(n.hidden = 4, seed = 1)
  x <- sample16()$x_train[1:200, ]
  y <- sample16()$y_train[1:200, ]
  with_na <- x
  with_na[c(3, 9), 1] <- NA
  expect_error(train_rnn(model, with_na, y), "x contains NA or NaN .* in 2 row\\(s\\)")
  expect_error(train_rnn(model, matrix("1", 200, 256), y), "x must be numeric: expected .*got text")
  expect_error(train_rnn(model, x[, 1:200], y), "x has shape \\(200, 200\\); the model expects N x 256 rows",
               class = "pyrnn_error")
  expect_error(train_rnn(model, sample_mnist()$train$images[1:200, ], y), "reduce them to 16x16 first")
  expect_error(train_rnn(model, x, max.col(y)), "class ids must be whole numbers in 0..9, got values from 1 to 10")
  expect_error(train_rnn(model, x, y[1:150, ]), "x has 200 rows but y has 150 labels")
  expect_error(train_rnn(model, x, factor(rep("seven", 200))), "factor whose levels are not class numbers")
  expect_error(train_rnn(model, x, y, lr = 0), "lr \\(learning rate\\) must be a positive number")
  expect_error(train_rnn(model, x, y, lr = -0.1), "lr \\(learning rate\\) must be a positive number")
  expect_error(train_rnn(model, x, y, lr = NA), "lr must be a single number, got NA")
  expect_error(train_rnn(model, x, y, batch = 500), "batch must be a whole number in 1..200")
  expect_error(train_rnn(model, x, y, batch = 50, iteration = 0), "iteration must be a positive whole number")
  expect_error(train_rnn("model", x, y), "model must be a model from rnn\\(\\)")
  expect_error(train_rnn(model, x, y, callback = "print"), "callback must be a function")
  expect_error(eval_acc(c(1, NA), c(1, 2)), "yhat contains NA")
  expect_error(predict(model, x[, 1:255]), "x has shape \\(200, 255\\)")
})

test_that("a diverging run stops with an R error carrying the iterations done", {
  data <- sample16()
  error <- tryCatch(train_rnn(rnn(n.hidden = 8, seed = 1), data$x_train[1:500, ], data$y_train[1:500, ],
                              lr = 1e38, batch = 100, iteration = 20, seed = 1), error = identity)
  expect_s3_class(error, "pyrnn_diverged")
  expect_match(conditionMessage(error),
               "the loss became NaN at iteration 2: training diverged. Try a smaller learning rate \\(lr = ")
  expect_s3_class(error$history, "pyrnn_history")
  expect_length(error$history$loss, 1)
})

test_that("a run checkpointed and resumed from R ends as an uninterrupted run", {
  data <- sample16()
  x <- data$x_train[1:500, ]
  y <- data$y_train[1:500, ]
  checkpoint <- tempfile(fileext = ".npz")
  first <- train_rnn(rnn(n.hidden = 8, seed = 1), x, y, batch = 50, iteration = 4, seed = 3,
                     checkpoint = checkpoint, checkpoint_every = 2)
  resumed <- train_rnn(rnn(n.hidden = 8, seed = 1), x, y, batch = 50, iteration = 6, seed = 3,
                       checkpoint = checkpoint, resume = TRUE)
  whole <- train_rnn(rnn(n.hidden = 8, seed = 1), x, y, batch = 50, iteration = 6, seed = 3)
  expect_identical(resumed$loss[1:4], first$loss)
  expect_identical(resumed$loss, whole$loss)
  expect_error(train_rnn(rnn(n.hidden = 2), x, y, checkpoint = tempfile(), resume = TRUE),
               "cannot resume: no checkpoint at")
  expect_error(train_rnn(rnn(n.hidden = 2), x, y, resume = TRUE), "resume needs checkpoint = FILE",
               class = "pyrnn_error")
})

test_that("non-finite pixels, bad one-hot rows and empty input are refused before training", {
  model <- rnn(n.hidden = 4, seed = 1)
  x <- sample16()$x_train[1:100, ]
  y <- sample16()$y_train[1:100, ]
  with_inf <- x
  with_inf[5, 7] <- Inf
  expect_error(train_rnn(model, with_inf, y, batch = 10), "x contains NaN or infinite values in 1 row")
  two_ones <- y
  two_ones[3, ] <- 1
  expect_error(train_rnn(model, x, two_ones, batch = 10), "y: 1 one-hot row\\(s\\) are not a single 1 among 0s")
  expect_error(train_rnn(model, x[0, ], y[0, ]), "x is empty")
  expect_error(reduceImage(matrix(Inf, 2, 784)), "the pixels contain NaN or infinite values")
})

test_that("an error in the user's callback comes back as that R error, not as a Python one (found in use)", {
  data <- sample16()
  model <- rnn(n.hidden = 8, seed = 1)
  for (callback in list(function(i, loss) stop("boom in callback"), function() 1)) {
    err <- tryCatch(train_rnn(model, data$x_train[1:100, ], data$y_train[1:100, ], batch = 50, iteration = 2,
                              callback = callback, verbose = FALSE), error = function(e) e)
    expect_s3_class(err, "pyrnn_callback_error")
    expect_false(inherits(err, "pyrnn_python_error"))
    expect_match(conditionMessage(err), "^callback failed: ")
    expect_identical(conditionMessage(err$parent), sub("^callback failed: ", "", conditionMessage(err)))
  }
  expect_match(conditionMessage(err), "unused argument")
  # the next call is not blamed on that callback
  expect_s3_class(train_rnn(model, data$x_train[1:100, ], data$y_train[1:100, ], batch = 50, iteration = 2,
                            verbose = FALSE), "pyrnn_history")
})

test_that("a seed beyond R's integers comes back as the number given, and can be given again (found in use)", {
  data <- sample16()
  history <- train_rnn(rnn(n.hidden = 8, seed = 1), data$x_train[1:100, ], data$y_train[1:100, ], batch = 50,
                       iteration = 2, seed = 3e9, verbose = FALSE)
  expect_identical(history$seed, 3e9)
  expect_output(print(history), "seed 3000000000")
  again <- train_rnn(rnn(n.hidden = 8, seed = 1), data$x_train[1:100, ], data$y_train[1:100, ], batch = 50,
                     iteration = 2, seed = history$seed, verbose = FALSE)
  expect_identical(again$loss, history$loss)
})
