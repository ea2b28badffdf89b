skip_if_no_python()

# Issue 24: a reloaded model trains on exactly as the one in memory (save_rnn
# keeps Adam's state); pixels in 0..255 are refused with the way out; a folder
# that cannot be made is named in a pyrnn error.

test_that("training a reloaded model continues exactly as the model in memory", {
  data <- sample16()
  x <- data$x_train[1:300, ]
  y <- data$y_train[1:300, ]
  model <- lstm(n.hidden = 6, seed = 1)
  train_rnn(model, x, y, batch = 50, iteration = 10, seed = 1, clipnorm = 0.5, verbose = FALSE)
  save_rnn(model, file.path(tempdir(), "kept-adam"))
  loaded <- load_rnn(file.path(tempdir(), "kept-adam")) # NAME finds NAME.keras
  again <- train_rnn(loaded, x, y, batch = 50, iteration = 10, seed = 2, clipnorm = 0.5, verbose = FALSE)
  in_memory <- train_rnn(model, x, y, batch = 50, iteration = 10, seed = 2, clipnorm = 0.5, verbose = FALSE)
  expect_identical(again$loss, in_memory$loss)
})

test_that("pixels in 0..255 are refused and the message says to divide by 255", {
  model <- rnn(n.hidden = 4, seed = 1)
  data <- sample16()
  bytes <- round(data$x_test[1:20, ] * 255)
  storage.mode(bytes) <- "integer"
  expect_error(evaluate_rnn(model, bytes, data$y_test[1:20, ]),
               "x has values up to 255, .*divide by 255 first \\(x / 255\\)", class = "pyrnn_error")
  expect_error(train_rnn(model, bytes, data$y_test[1:20, ], batch = 10, iteration = 1, verbose = FALSE),
               "divide by 255", class = "pyrnn_error")
  expect_error(predict_rnn(model, bytes), "divide by 255", class = "pyrnn_error")
  expect_identical(evaluate_rnn(model, bytes / 255, data$y_test[1:20, ])$n, 20L)
})

test_that("save_rnn into a folder that cannot be made says which folder", {
  expect_error(save_rnn(rnn(n.hidden = 2), "/proc/x/m.keras"),
               "cannot write /proc/x/m.keras: the folder /proc/x cannot be made", class = "pyrnn_error")
})

test_that("a model saved without pyrnn's Adam state warns in R that training starts a fresh Adam (found in use)", {
  data <- sample16()
  path <- tempfile(fileext = ".keras")
  on.exit(unlink(path))
  rnn(n.hidden = 8, seed = 1)$save(path) # Keras' own save: no optimizer state in the file
  model <- load_rnn(path)
  # a call its checks refuse trains nothing: no warning, and the note waits for the call that trains
  expect_no_warning(expect_error(train_rnn(model, data$x_train[1:100, ], data$y_train[1:100, ], batch = 500,
                                           iteration = 2, verbose = FALSE), "batch", class = "pyrnn_error"))
  expect_warning(train_rnn(model, data$x_train[1:100, ], data$y_train[1:100, ], batch = 50, iteration = 2,
                           verbose = FALSE), "without the optimizer's state: training starts a fresh Adam")
  expect_no_warning(train_rnn(model, data$x_train[1:100, ], data$y_train[1:100, ], batch = 50, iteration = 2,
                              verbose = FALSE)) # once per model
  # a call that trains and then fails (here it diverges) gives the note too: training did start afresh
  model <- load_rnn(path)
  expect_warning(expect_error(train_rnn(model, data$x_train[1:100, ], data$y_train[1:100, ], lr = 1e38, batch = 50,
                                        iteration = 20, verbose = FALSE), class = "pyrnn_diverged"),
                 "training starts a fresh Adam")
})
