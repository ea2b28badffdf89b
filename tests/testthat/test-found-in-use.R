skip_if_no_python()

# Defects found by using pyrnn as a new user would (issue 24: 4, 10, 12, 15;
# issue 23: item 6): each test fails on the code before the fix.

test_that("Python's messages name the argument as the user typed it, and whole numbers as R prints them", {
  expect_error(rnn(n.hidden = 0), "^n\\.hidden must be a positive whole number, got 0$", class = "pyrnn_error")
  expect_error(rnn(n_hidden = 0), "^n_hidden must be a positive whole number, got 0$", class = "pyrnn_error")
  small <- sample16()
  model <- rnn(n.hidden = 4, seed = 1)
  expect_error(train_rnn(model, small$x_train[1:20, ], small$y_train[1:20, ], batch = 10, iteration = 1,
                         clipnorm = -1),
               "clipnorm must be a finite number > 0, got -1$", class = "pyrnn_error")
  expect_error(eval_acc(c(0.2, 0.8), diag(3)), "^yhat has 2 rows but y has 3 labels", class = "pyrnn_error")
})

test_that("pyrnn_config() returns a classed object printed only when shown", {
  expect_silent(config <- pyrnn_config())
  expect_s3_class(config, "pyrnn_config")
  expect_output(print(config), "TensorFlow log level: .*TensorFlow threads:")
})

test_that("printed commands are quoted by the shell's rules", {
  expect_identical(shell_command("python", "-m", "pip", "install", "numpy<2", "/tmp/a b"),
                   "python -m pip install 'numpy<2' '/tmp/a b'")
  expect_identical(shell_command("Rscript", "-e", "pyrnn::install_pyrnn()"), "Rscript -e 'pyrnn::install_pyrnn()'")
})

test_that("recipe_plot() writes the format the file name asks for, and refuses others", {
  folder <- tempfile("plots-")
  on.exit(unlink(folder, recursive = TRUE))
  magic <- list(pdf = charToRaw("%PDF"), svg = charToRaw("<?xm"), jpeg = as.raw(c(0xff, 0xd8, 0xff)),
                png = as.raw(c(0x89, 0x50, 0x4e, 0x47)))
  for (format in names(magic)) {
    file <- file.path(folder, paste0("loss.", format))
    expect_output(recipe_plot(file, plot(1:10, type = "l")), "Plot: ")
    expect_identical(readBin(file, "raw", length(magic[[format]])), magic[[format]])
  }
  expect_error(recipe_plot(file.path(folder, "loss.gif"), plot(1:10)), "\\.png, \\.jpeg", class = "pyrnn_error")
  expect_false(file.exists(file.path(folder, "loss.gif")))
})

test_that("an R session shows none of TensorFlow's start-up lines", {
  run <- run_r(c("library(pyrnn)", "model <- rnn(n.hidden = 4)", "cat('built\\n')"),
               c(TF_CPP_MIN_LOG_LEVEL = NA))
  expect_null(run$status)
  expect_match(run$output, "built")
  expect_no_match(run$output, "absl|oneDNN|cudart|cuda drivers|cpu_feature_guard")
})
