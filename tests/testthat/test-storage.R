skip_if_no_python()

test_that("a saved model loads back with the same predictions", {
  model <- lstm(n.hidden = 8, seed = 2)
  path <- save_rnn(model, file.path(tempdir(), "lstm-model"))
  expect_identical(path, file.path(tempdir(), "lstm-model.keras"))
  loaded <- load_rnn(path)
  expect_s3_class(loaded, "pyrnn_model")
  x <- sample16()$x_test[1:25, ]
  expect_identical(predict(loaded, x, type = "prob"), predict(model, x, type = "prob"))
})

test_that("a missing file, a file that is not a model and a model carrying code are refused", {
  expect_error(load_rnn(file.path(tempdir(), "absent.keras")), "absent.keras: no such model file",
               class = "pyrnn_error")
  text_file <- tempfile(fileext = ".keras")
  writeLines("not a model", text_file)
  expect_error(load_rnn(text_file), "not a pyrnn/Keras model file", class = "pyrnn_error")
  lambda_file <- file.path(tempdir(), "lambda.keras")
  reticulate::py_run_string(sprintf(paste(
    "import keras",
    "inputs = keras.Input((16, 16))",
    "outputs = keras.layers.Lambda(lambda t: t * 2)(inputs)",
    "keras.Model(inputs, outputs).save(%s)", sep = "\n"), deparse(lambda_file)))
  expect_true(file.exists(lambda_file))
  expect_error(load_rnn(lambda_file), "refused to load: the model carries code.*Lambda", class = "pyrnn_error")
  expect_error(save_rnn(rnn(n.hidden = 2), NA_character_), "path must be a single non-empty string")
})

test_that("the model file records how its images were reduced", {
  path <- save_rnn(rnn(n.hidden = 4, seed = 1), tempfile(fileext = ".keras"), reduce_method = "box")
  info <- reticulate::import("pyrnn.storage")$read_model_info(path)
  expect_identical(info$reduce_method, "box")
  expect_identical(as.integer(c(info$step_size, info$n_input, info$n_class)), c(16L, 16L, 10L))
  expect_error(save_rnn(rnn(n.hidden = 2), tempfile(fileext = ".keras"), reduce_method = "cubic"),
               'unknown reduce_method "cubic"', class = "pyrnn_error")
})
