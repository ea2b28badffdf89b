skip_if_no_python()

# The Python core's own result on its own float32 images: the reference.
python_reduced <- function(split, method = "nearest") {
  py <- python_pyrnn()
  images <- py$read_data_sets("sample")[[split]]$images
  reticulate::py_to_r(py$reduceImage(images, 16L, 16L, method))
}

test_that("the cookbook's apply line gives exactly the Python core's numbers", {
  images <- sample_mnist()$test$images
  trainData <- t(apply(images, 1, FUN = reduceImage))
  expect_identical(dim(trainData), c(2000L, 256L))
  expect_identical(trainData, python_reduced("test"))
})

test_that("the whole-matrix call gives exactly the Python core's numbers, and the apply path's", {
  expect_identical(sample16()$x_train, python_reduced("train"))
  first <- sample_mnist()$train$images[1:300, ]
  expect_identical(reduceImage(first), t(apply(first, 1, FUN = reduceImage)))
  expect_identical(reduceImage(sample_mnist()$test$images, method = "bilinear"),
                   python_reduced("test", "bilinear"))
})

test_that("nearest neighbour reads source pixel floor(i * 28 / 16) on both axes", {
  image <- matrix(seq_len(784) - 1, nrow = 28, byrow = TRUE) # pixel value = its row-major index
  kept <- (0:15 * 28) %/% 16
  expected <- as.vector(t(outer(kept * 28, kept, "+")))
  expect_identical(reduceImage(as.vector(t(image))), matrix(expected, nrow = 1))
  expect_identical(reduceImage(image), matrix(expected, nrow = 1)) # one 28 x 28 image
})

test_that("one image gives the cookbook's 1 x 256 row; other forms of many images agree", {
  images <- sample_mnist()$test$images[1:20, ]
  expected <- reduceImage(images)
  expect_identical(dim(reduceImage(images[1, ])), c(1L, 256L))
  expect_identical(reduceImage(as.data.frame(images)), expected)
  expect_identical(reduceImage(lapply(1:20, function(i) images[i, ])), expected)
  as_array <- aperm(array(images, c(20, 28, 28)), c(1, 3, 2)) # N x 28 x 28, [n, row, column]
  expect_identical(reduceImage(as_array), expected)
  expect_identical(dim(reduceImage(images, n.pixel.x = 8, n.pixel.y = 4)), c(20L, 32L))
  # the Python names too, as the README's table gives them (found in use: "unused argument")
  expect_identical(reduceImage(images, n_pixel_x = 8, n_pixel_y = 4), reduceImage(images, n.pixel.x = 8, n.pixel.y = 4))
  expect_error(reduceImage(images, n.pixel.x = 8, n_pixel_x = 4), "n.pixel.x and n_pixel_x name the same size")
})

test_that("bad images are R errors saying what was expected", {
  images <- sample_mnist()$test$images[1:5, ]
  with_na <- images
  with_na[2, 100] <- NA
  expect_error(reduceImage(with_na), "actds contains NA or NaN .* in 1 row")
  expect_error(reduceImage(c(NA, images[1, -1])), "actds contains NA or NaN")
  expect_error(reduceImage(matrix("0.5", 2, 784)), "actds must be numeric: expected .*got text")
  expect_error(reduceImage(images > 0.5), "actds must be numeric: expected .*got logical")
  expect_error(reduceImage(images[, 1:101]), "rows of length 101 are not square images", class = "pyrnn_error")
  expect_error(reduceImage(images, method = "sharpest"), 'unknown method "sharpest"', class = "pyrnn_error")
  expect_error(reduceImage(images, n.pixel.x = 0), "n.pixel.x must be a positive whole number, got 0",
               class = "pyrnn_error")
  expect_error(reduceImage(images[1, ], n.pixel.y = -2), "n.pixel.y must be a positive whole number, got -2",
               class = "pyrnn_error")
  expect_error(reduceImage(images, n.pixel.x = 2.5), "n.pixel.x must be a single whole number, got 2.5")
  expect_error(reduceImage(NULL), "actds must be numeric")
})
