skip_if_no_python()

# load_digit from R: the same digit as Python's, the page's lighting and rules
# taken away (issue 24).

draw_seven <- function(file, page) {
  grDevices::png(file, width = 240, height = 240)
  graphics::par(mar = c(0, 0, 0, 0), xaxs = "i", yaxs = "i") # the page fills the image
  graphics::plot.new()
  graphics::rasterImage(page, 0, 0, 1, 1, interpolate = TRUE)
  graphics::text(0.5, 0.5, "7", cex = 14, col = "#232030")
  grDevices::dev.off()
  file
}

test_that("load_digit reads a digit on an unevenly lit, ruled page as on white paper", {
  light <- outer(rep(1, 240), seq(1, 0.45, length.out = 240)) # lit from the left
  ruled <- light
  ruled[seq(12, 240, by = 26), ] <- ruled[seq(12, 240, by = 26), ] * 0.6
  white <- load_digit(draw_seven(tempfile(fileext = ".png"), matrix(1, 240, 240)))
  path <- draw_seven(tempfile(fileext = ".png"), grDevices::as.raster(ruled))
  digit <- load_digit(path)
  expect_identical(dim(digit), c(28L, 28L))
  expect_true(min(digit) == 0 && abs(max(digit) - 1) < 1e-6)
  expect_gt(cor(as.vector(digit), as.vector(white)), 0.9)
  expect_equal(digit, reticulate::py_to_r(python_pyrnn()$load_digit(path)), ignore_attr = TRUE)
  expect_identical(dim(reduceImage(digit)), c(1L, 256L))
  expect_error(load_digit(file.path(tempdir(), "absent.png")), "absent.png: no such image file",
               class = "pyrnn_error")
})
