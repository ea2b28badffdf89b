# reduceImage: 28 x 28 digits to the 16 x 16 sequences of the recipes.

#' Shrink MNIST digits to 16 x 16, as the cookbook's `reduceImage`
#'
#' The cookbook's own line works as it did:
#' `trainData <- t(apply(mnist$train$images, 1, FUN = reduceImage))` gives an
#' N x 256 matrix. Given a whole matrix, `reduceImage(mnist$train$images)`
#' returns the same N x 256 matrix in one call: that is the fast path (about
#' a hundred times faster than `apply`, which makes one call into Python per
#' image).
#'
#' The default nearest-neighbour method reproduces `imager::resize`'s default
#' (the cookbook's): output pixel i reads source pixel floor(i * 28 / 16)
#' along both axes, exactly as the Python core does. On a whole matrix this
#' path gathers the pixels in R (Python supplies the index map), so the values
#' are your own doubles; the Python core rounds them to float32, which changes
#' nothing for MNIST (its pixels are float32 values).
#'
#' @param actds One image (a vector of 784 pixels, row by row, or a 28 x 28
#'   matrix) or many (an N x 784 matrix or data frame, one image per row, or
#'   an N x 28 x 28 array). Any square image size works; pixels are numbers
#'   without NA.
#' @param n.pixel.x,n.pixel.y Output width and height.
#' @param n_pixel_x,n_pixel_y The same, by their Python names.
#' @param method "nearest" (the cookbook's), or one of "bilinear", "bicubic",
#'   "box", "hamming", "lanczos".
#' @return A matrix of `n.pixel.x * n.pixel.y` columns, row by row: 1 row for
#'   one image (the cookbook's shape), N rows for N images.
#' @export
#' @examplesIf pyrnn_available()
#' mnist <- read_data_sets("sample")
#' images <- mnist$test$images[1:100, ]
#' small <- t(apply(images, 1, FUN = reduceImage)) # the cookbook's way
#' fast <- reduceImage(images)                       # one call
#' identical(small, fast)
reduceImage <- function(actds, n.pixel.x = 16, n.pixel.y = 16, method = "nearest", n_pixel_x = NULL,
                        n_pixel_y = NULL) {
  expected <- "a 784-vector, a 28 x 28 image, an N x 784 matrix or an N x 28 x 28 array of pixels"
  if (is.array(actds) && length(dim(actds)) == 1) actds <- as.vector(actds)
  is_one_vector <- is.numeric(actds) && is.null(dim(actds))
  if (is_one_vector) {
    if (anyNA(actds)) stop_input("actds contains NA or NaN (missing) pixels; expected %s", expected)
  } else {
    actds <- as_numbers(actds, "actds", expected)
  }
  args <- capture_args(list(n.pixel.x = as_int, n.pixel.y = as_int, method = as_string, n_pixel_x = as_int,
                            n_pixel_y = as_int),
                       rename = c(n.pixel.x = "n_pixel_x", n.pixel.y = "n_pixel_y"), ignore = "actds")
  if (is_one_vector) {
    pixels <- call_python(reduce_one_image(), with_first_arg(actds, args))
    return(matrix(pixels, nrow = 1))
  }
  side <- if (is.matrix(actds)) sqrt(ncol(actds)) else NA
  if (identical(method, "nearest") && isTRUE(side == round(side)) && nrow(actds) > 0) {
    # The fast path: Python says which source pixel each output pixel reads and
    # R gathers those columns, sparing reticulate's element-by-element copy of
    # an N x 256 result back into R (most of the time otherwise). No pixels
    # (sizes below 1) or infinite pixels in the result send the input to
    # Python's reduceImage and its checks.
    sizes <- structure(args[intersect(names(args), c("n_pixel_x", "n_pixel_y"))], r_names = attr(args, "r_names"))
    pixels <- call_python(pyrnn_module()$images$nearest_pixels, c(list(as.integer(side)), sizes))
    if (length(pixels)) {
      reduced <- actds[, as.integer(pixels) + 1L, drop = FALSE]
      # each of these copies 100 MB on full MNIST: only when needed
      if (!is.double(reduced)) storage.mode(reduced) <- "double"
      if (!is.null(dimnames(reduced))) dimnames(reduced) <- NULL
      if (is.finite(sum(reduced))) return(reduced)
    }
  }
  call_python(pyrnn_module()$reduceImage, with_first_arg(actds, args))
}

# The per-image path of apply(): one Python call per image that returns a
# plain list. (reticulate 1.28 spends about 1 ms converting each small NumPy
# array to R; a list converts in microseconds. The numbers are the same.)
reduce_one_image <- function() {
  if (is.null(.state$reduce_one_image)) {
    pyrnn_module()
    .state$reduce_one_image <- reticulate::py_eval(
      "lambda v, **settings: __import__('pyrnn').reduceImage(v, **settings).ravel().tolist()")
  }
  .state$reduce_one_image
}

#' Read a picture of a handwritten digit as an MNIST digit
#'
#' Turns a PNG or JPEG of one handwritten digit, of any size, into the MNIST
#' convention, as `pyrnn predict` does: the page's uneven lighting, shadows,
#' dark corners, coloured paper and the rules of ruled or squared paper are
#' taken away, frames along the edges and specks are left out, a fine pen is
#' thickened to MNIST's stroke width, and the digit is fitted in a 20 x 20 box
#' centred by its centre of mass in 28 x 28. Dark on light and light on dark
#' both work.
#'
#' @param path A PNG or JPEG file.
#' @return A 28 x 28 matrix of pixels in \[0, 1\], light digit on a dark
#'   background, row by row as the image is; [reduceImage()] takes it as one
#'   image.
#' @export
#' @examplesIf pyrnn_available()
#' file <- tempfile(fileext = ".png")
#' grDevices::png(file, width = 200, height = 200)
#' graphics::plot.new()
#' graphics::text(0.5, 0.5, "7", cex = 12)
#' grDevices::dev.off()
#' digit <- load_digit(file)
#' image(t(digit[28:1, ]), col = grey.colors(256, 0, 1))
load_digit <- function(path) {
  call_python(pyrnn_module()$load_digit, capture_args(list(path = as_path)))
}
