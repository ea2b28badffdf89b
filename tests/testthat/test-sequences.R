skip_if_no_python()

entropy <- function(p) -sum(c(p, 1 - p)[c(p, 1 - p) > 0] * log(c(p, 1 - p)[c(p, 1 - p) > 0]))

test_that("echo_data: the target is the input echo_step steps later, row by row", {
  data <- echo_data(total_series_length = 1000, echo_step = 3, batch_size = 5, seed = 1)
  expect_identical(dim(data$x), c(5L, 200L))
  expect_type(data$x, "integer")
  expect_identical(data$y[, 4:200], data$x[, 1:197])
  expect_identical(data$y[1, 1:3], c(0L, 0L, 0L))
})

test_that("dependency_data has the task's statistics and expected_cross_entropy its exact answers", {
  data <- dependency_data(size = 200000, seed = 1)
  n <- length(data$x)
  y <- data$y[9:n]
  lag3 <- data$x[6:(n - 3)]
  lag8 <- data$x[1:(n - 8)]
  expect_gt(mean(y[lag3 == 1 & lag8 == 0]), 0.99)
  expect_equal(mean(y[lag3 == 0 & lag8 == 1]), 0.25, tolerance = 0.02)
  expect_equal(mean(y[lag3 == 1 & lag8 == 1]), 0.75, tolerance = 0.02)
  p <- function(lag3, lag8) 0.5 + 0.5 * lag3 - 0.25 * lag8
  expect_equal(expected_cross_entropy(), c(
    learned_nothing = entropy(mean(c(p(0, 0), p(0, 1), p(1, 0), p(1, 1)))),
    first_dependency = mean(c(entropy(mean(c(p(0, 0), p(0, 1)))), entropy(mean(c(p(1, 0), p(1, 1)))))),
    both_dependencies = mean(c(entropy(p(0, 0)), entropy(p(0, 1)), entropy(p(1, 0)), entropy(p(1, 1))))),
    tolerance = 1e-12)
  expect_equal(unname(round(expected_cross_entropy(), 2)), c(0.66, 0.52, 0.45))
})

test_that("train_echo learns the echo with the state carried", {
  steps <- 0L
  run <- train_echo(total_series_length = 10000, num_epochs = 4, seed = 0, callback = function(step, loss) {
    steps <<- step
  })
  expect_s3_class(run, "pyrnn_echo")
  expect_gt(run$accuracy, 0.98)
  expect_identical(run$stopped, "learned")
  expect_identical(steps, length(run$loss))
  expect_lt(tail(run$loss, 1), 0.1 * run$loss[[1]])
  expect_match(capture.output(print(run))[[1]], "echo task: .* accuracy 0\\.9|echo task: .* accuracy 1\\.0")
})

test_that("train_dependency gets below the 'learned nothing' cross-entropy", {
  run <- train_dependency(num_steps = 5, state_size = 4, size = 200000, seed = 0)
  expect_s3_class(run, "pyrnn_dependency")
  expect_length(run$loss, 200)
  expect_length(run$curve, 2)
  expect_equal(run$final_loss, mean(tail(run$loss, 100)))
  expect_lt(run$final_loss, expected_cross_entropy()[["learned_nothing"]] - 0.03)
  png_file <- tempfile(fileext = ".png")
  grDevices::png(png_file)
  plot(run)
  grDevices::dev.off()
  expect_gt(file.size(png_file), 1000)
})

test_that("the hand-written cell equals the formula in R and the library's cell", {
  set.seed(1)
  x <- array(rnorm(3 * 7 * 2), c(3, 7, 2))
  W <- matrix(rnorm(6 * 4, sd = 0.6), 6, 4)
  b <- rnorm(4, sd = 0.1)
  h <- matrix(0, 3, 4)
  for (t in 1:7) h <- tanh(cbind(x[, t, ], h) %*% W + matrix(b, 3, 4, byrow = TRUE))
  by_hand <- cell_forward(x, W, b)
  expect_identical(dim(by_hand$outputs), c(3L, 7L, 4L))
  expect_equal(by_hand$final_state, h, tolerance = 1e-12)
  expect_identical(by_hand$outputs[, 7, ], by_hand$final_state)
  for (backend in c("tf", "keras")) {
    expect_equal(cell_forward(x, W, b, backend = backend, mode = "dynamic")$outputs, by_hand$outputs,
                 tolerance = 1e-5)
  }
  expect_error(cell_forward(x[, , 1], W, b), "x has shape \\(3, 7\\); expected \\[batch, steps, n_input\\]",
               class = "pyrnn_error")
  expect_error(cell_forward(x, W[1:5, ], b), "W has 5 rows; the cell needs n_input \\+ n_hidden = 2 \\+ 4 = 6",
               class = "pyrnn_error")
})

test_that("worked_example gives every intermediate value", {
  example <- worked_example()
  first <- example$steps[[1]]
  expect_identical(first$concat, c(1, 2, 0, 0))
  expect_equal(first$pre_activation, c(1.0, 0.4))
  expect_equal(first$h_t, tanh(c(1.0, 0.4)))
  expect_equal(example$steps[[2]]$h_prev, first$h_t)
  expect_identical(dim(example$W), c(4L, 2L))
  expect_match(paste(capture.output(print(example)), collapse = "\n"), "pre-activation.*h_t = tanh\\(pre\\)")
})

test_that("gradient_norms_by_step gives one norm per image row; bad settings are R errors", {
  mnist <- sample_mnist()
  norms <- gradient_norms_by_step(rnn(n_hidden = 8, step_size = 28, n_input = 28, seed = 0),
                                  mnist$test$images[1:50, ], mnist$test$labels[1:50, ])
  expect_length(norms, 28)
  expect_true(all(norms > 0))
  expect_error(gradient_norms_by_step(bidirectionRNN(n_hidden = 2, step_size = 28, n_input = 28),
                                      mnist$test$images[1:5, ], mnist$test$labels[1:5, ]),
               "needs a model with one recurrent layer", class = "pyrnn_error")
  expect_error(train_echo(total_series_length = 1000, echo_step = 300), "echo_step 300 is not shorter than a row",
               class = "pyrnn_error")
  expect_error(train_dependency(num_steps = 0), "num_steps must be a positive whole number", class = "pyrnn_error")
  expect_error(train_rows28(cell = "gru"), 'unknown cell "gru"; choose one of basic, lstm', class = "pyrnn_error")
  expect_error(train_echo(callback = 1), "callback must be a function")
  expect_error(dependency_data(size = NA), "size must be a single whole number")
})

test_that("print() and plot() dispatch on each experiment's class, the settings printed last", {
  settings <- list(seed = 0, clipnorm = NULL)
  runs <- list(
    pyrnn_echo = structure(list(steps = 40L, epochs = 1L, accuracy = 0.5, stopped = NULL, loss = c(0.7, 0.6),
                                settings = settings), class = c("pyrnn_echo", "pyrnn_sequence_run")),
    pyrnn_dependency = structure(list(steps = 10L, final_loss = 0.6, closest = "learned_nothing",
                                      expected = expected_cross_entropy(), loss = c(0.7, 0.65), curve = numeric(0),
                                      settings = settings), class = c("pyrnn_dependency", "pyrnn_sequence_run")),
    pyrnn_rows28 = structure(list(cell = "basic", accuracy = 0.1, cost = 2.3, n_test = 500L, saturation = 0.5,
                                  saturation_init = 0.1, grad_norms_init = 10^-(1:28), grad_norms = 10^-(28:1) / 2,
                                  settings = settings), class = c("pyrnn_rows28", "pyrnn_sequence_run")))
  first_lines <- c(pyrnn_echo = "^echo task: 40 steps in 1 epoch\\(s\\), accuracy 0.5000",
                   pyrnn_dependency = "^binary-dependency task: 10 steps, final loss 0.6000, closest to learned_nothing",
                   pyrnn_rows28 = "^MNIST row by row, basic cell: test accuracy 0.1000")
  for (class in names(runs)) {
    expect_false(is.null(getS3method("print", class, optional = TRUE)))
    expect_false(is.null(getS3method("plot", class, optional = TRUE)))
    output <- capture.output(value <- print(runs[[class]]))
    expect_identical(value, runs[[class]])
    expect_match(output[[1]], first_lines[[class]])
    expect_identical(output[[length(output)]], "  settings: seed 0, clipnorm NULL")
    png_file <- tempfile(fileext = ".png")
    grDevices::png(png_file)
    expect_invisible(plot(runs[[class]], main = class))
    grDevices::dev.off()
    expect_gt(file.size(png_file), 1000)
  }
  expect_null(getS3method("plot", "pyrnn_sequence_run", optional = TRUE))
})
