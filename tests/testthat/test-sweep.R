skip_if_no_python()

test_that("sweep_rnn trains a small grid on the sample, ranks it and lists its runs", {
  out <- file.path(tempfile("sweep-test"), "sweep")
  runs <- sweep_rnn(recipes = "basic", lr = c(0.01, 0.03), seeds = 0, n_hidden = 8, batch = 50, iteration = 5,
                    data = "sample", out = out, verbose = FALSE)
  expect_s3_class(runs, "data.frame")
  expect_equal(nrow(runs), 2)
  expect_equal(runs$state, c("complete", "complete"))
  expect_false(is.unsorted(rev(runs$val_accuracy)))
  expect_equal(attr(runs, "chosen")$chosen, c("basic", "overall"))
  expect_output(print(runs), "test images are scored for these trials only")
  expect_output(summary(runs), "2 trials \\(2 complete\\)")
  listed <- ls_runs(out, order = "val_accuracy")
  expect_equal(listed$val_accuracy, runs$val_accuracy)
  expect_error(sweep_rnn(recipes = "lstm", cell = "gru", out = file.path(out, "x")), "stacked recipe only")
})
