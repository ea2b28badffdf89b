test_that("the Python side loads and pyrnn_config() names the Python and the versions", {
  output <- capture.output(config <- pyrnn_config())
  expect_true(pyrnn_available())
  expect_true(file.exists(config$python))
  expect_identical(config$pyrnn, reticulate::py_to_r(python_pyrnn()$`__version__`))
  expect_match(config$numpy, "^1\\.")
  expect_match(config$tensorflow, "^2\\.")
  expect_match(paste(output, collapse = "\n"), "Python: .*TensorFlow: .*NumPy: ")
})

test_that("a PYRNN_PYTHON that does not exist is an error saying which Python and the fix", {
  script <- "library(pyrnn); reduceImage(rep(0, 784))"
  output <- with_envvars(c(RETICULATE_PYTHON = NA, PYRNN_PYTHON = "/nonexistent/bin/python"),
                         suppressWarnings(system2(rscript(), c("-e", shQuote(script)), stdout = TRUE, stderr = TRUE)))
  expect_identical(attr(output, "status"), 1L)
  output <- paste(output, collapse = "\n")
  expect_match(output, "Python tried: /nonexistent/bin/python (chosen by PYRNN_PYTHON)", fixed = TRUE)
  expect_match(output, "Fix: export PYRNN_PYTHON=", fixed = TRUE)
})

test_that("install_pyrnn() refuses a folder that is not the pyrnn repository", {
  expect_error(install_pyrnn(tempdir()), "not the pyrnn repository")
})

test_that("Python exceptions become R errors carrying just their message", {
  error <- tryCatch(read_data_sets(file.path(tempdir(), "no-such-mnist")), error = identity)
  expect_s3_class(error, "pyrnn_error")
  expect_identical(error$python_type, "FileNotFoundError")
  expect_match(conditionMessage(error), "^.*no-such-mnist: MNIST files missing")
  expect_no_match(conditionMessage(error), "Traceback|FileNotFoundError")
  expect_null(conditionCall(error))
})
