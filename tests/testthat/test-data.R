skip_if_no_python()

test_that("read_data_sets('sample') gives plain R matrices, rows are images", {
  mnist <- sample_mnist()
  expect_s3_class(mnist, "pyrnn_datasets")
  expect_identical(dim(mnist$train$images), c(10000L, 784L))
  expect_identical(dim(mnist$validation$images), c(5000L, 784L))
  expect_identical(dim(mnist$test$images), c(2000L, 784L))
  expect_identical(dim(mnist$train$labels), c(10000L, 10L))
  expect_true(is.double(mnist$train$images) && is.null(dimnames(mnist$train$images)))
  expect_true(all(mnist$train$images >= 0 & mnist$train$images <= 1))
  expect_true(all(rowSums(mnist$test$labels) == 1))
  expect_identical(mnist$train$num_examples, 10000L)
  expect_match(paste(capture.output(print(mnist)), collapse = "\n"), "train +images 10000 x 784")
})

test_that("one_hot = FALSE gives class ids 0..9 matching the one-hot rows", {
  ids <- read_data_sets("sample", one_hot = FALSE, validation_size = 0)$test$labels
  expect_type(ids, "integer")
  expect_identical(ids, max.col(sample_mnist()$test$labels) - 1L)
})

test_that("a folder given as a path is read like the sample", {
  from_dir <- read_data_sets(sample_dir(), validation_size = 100)
  expect_identical(dim(from_dir$train$images), c(14900L, 784L))
  expect_identical(from_dir$test$images, sample_mnist()$test$images)
})

test_that("a missing folder, damaged files and bad arguments are clear R errors", {
  expect_error(read_data_sets(file.path(tempdir(), "MNIST-missing")), 'MNIST files missing.*"sample"',
               class = "pyrnn_error")
  damaged <- file.path(tempdir(), "MNIST-damaged")
  dir.create(damaged, showWarnings = FALSE)
  file.copy(list.files(sample_dir(), pattern = "gz$", full.names = TRUE), damaged, overwrite = TRUE)
  writeBin(charToRaw("this is not an IDX file"), file.path(damaged, "train-images-idx3-ubyte.gz"))
  expect_error(read_data_sets(damaged), "train-images-idx3-ubyte.gz: wrong magic number", class = "pyrnn_error")
  expect_error(read_data_sets(3), "train_dir must be a single non-empty string")
  expect_error(read_data_sets("sample", one_hot = "yes"), "one_hot must be TRUE or FALSE")
  expect_error(read_data_sets("sample", validation_size = 2.5), "validation_size must be a single whole number")
  expect_error(read_data_sets("sample", validation_size = 20000), "validation_size must be an int in 0..14999")
})

test_that("pyrnn's messages reach R users in R's spelling", {
  empty <- tempfile("mnist-")
  dir.create(empty)
  expect_error(read_data_sets(empty), 'pass download = TRUE, or use read_data_sets\\("sample"\\)',
               class = "pyrnn_error")
  expect_error(rnn(seed = -1), "or NULL, got -1", class = "pyrnn_error")
  x <- matrix(0.5, 20, 256)
  expect_error(train_rnn(rnn(seed = 1), x, rep(1, 20), batch = 5, iteration = 2, patience = 2),
               "validation_data = list\\(x_val, y_val\\)", class = "pyrnn_error")
})
