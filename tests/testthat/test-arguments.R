# The R boundary: the wrappers pass Python only the arguments the user gave,
# converted; Python's defaults and range checks rule.

skip_if_no_python()

# The R-only exports, which wrap no Python function of the same name.
R_ONLY <- c("install_pyrnn", "pyrnn_available", "pyrnn_config", "recipe_args", "recipe_plot")

# Arguments of a wrapper that R handles itself: train_rnn's verbose draws R's
# progress line (on in interactive sessions) and is not passed to Python.
R_ONLY_ARGS <- list(train_rnn = "verbose")

# The cookbook's names of Python arguments.
R_NAMES <- c(n.hidden = "n_hidden", n.class = "n_class", n.pixel.x = "n_pixel_x", n.pixel.y = "n_pixel_y")

# Python's parameters of `fn` as a named list: each its default, or the string
# "<required>" when it has none (read with inspect.signature).
python_defaults <- function(fn) {
  read <- reticulate::py_eval(paste(
    "lambda f: [(name, p.default is p.empty, None if p.default is p.empty else p.default)",
    "for name, p in __import__('inspect').signature(f).parameters.items()]"))
  params <- read(fn)
  stats::setNames(lapply(params, function(p) if (p[[2]]) "<required>" else p[[3]]),
                  vapply(params, function(p) p[[1]], ""))
}

same_default <- function(r, python) {
  # a Python tuple of texts (sweep_rnn's recipes) is R's character vector
  if (is.character(r) && is.list(python) && all(vapply(python, is.character, NA))) python <- unlist(python)
  if (is.numeric(r) && is.numeric(python)) return(identical(as.double(r), as.double(python)))
  identical(r, python)
}

test_that("every exported wrapper's R defaults equal its Python function's (inspect.signature)", {
  exports <- sort(getNamespaceExports("pyrnn"))
  pyrnn_py <- python_pyrnn()
  wrappers <- exports[vapply(exports, function(name) reticulate::py_has_attr(pyrnn_py, name), NA)]
  expect_setequal(setdiff(exports, wrappers), R_ONLY)
  expect_gte(length(wrappers), 21)
  for (name in wrappers) {
    r_formals <- formals(getExportedValue("pyrnn", name))
    py_params <- python_defaults(reticulate::py_get_attr(pyrnn_py, name))
    for (r_name in setdiff(names(r_formals), R_ONLY_ARGS[[name]])) {
      py_name <- if (r_name %in% names(R_NAMES)) R_NAMES[[r_name]] else r_name
      label <- sprintf("%s(%s)", name, r_name)
      expect(py_name %in% names(py_params), sprintf("%s: Python's %s has no argument %s", label, name, py_name))
      if (!py_name %in% names(py_params)) next
      cookbook_name <- names(R_NAMES)[R_NAMES == r_name]
      if (length(cookbook_name) && cookbook_name %in% names(r_formals)) {
        # Python's name beside the cookbook's (n_hidden beside n.hidden): NULL, "not given"
        expect(is.null(r_formals[[r_name]]), sprintf("%s: the alias of %s must default to NULL", label,
                                                     cookbook_name))
        next
      }
      r_default <- if (identical(r_formals[[r_name]], quote(expr = ))) "<required>" else eval(r_formals[[r_name]])
      expect(same_default(r_default, py_params[[py_name]]),
             sprintf("%s: R's default %s, Python's %s", label, deparse(r_default), deparse(py_params[[py_name]])))
    }
  }
  expect_identical(formals(train_rnn)$verbose, quote(interactive()))
  # the builders' input gains, measured by bench/input_gain.py
  expect_identical(vapply(c("rnn", "bidirectionRNN", "stacked_rnn", "lstm"),
                          function(name) formals(name)$input_gain, 0, USE.NAMES = FALSE), c(1, 3, 3, 3))
})

test_that("capture_args() passes only the arguments given, each converted, under Python's names", {
  wrapper <- function(x, n.hidden = 64, seed = NULL, lr = 0.01, flag = TRUE, n_hidden = NULL) {
    pyrnn:::capture_args(list(x = pyrnn:::as_sequences, n.hidden = pyrnn:::as_int, n_hidden = pyrnn:::as_int,
                              seed = pyrnn:::as_optional_int, lr = pyrnn:::as_number, flag = pyrnn:::as_flag),
                         rename = c(n.hidden = "n_hidden"))
  }
  x <- matrix(1, 2, 3)
  expect_identical(names(wrapper(x)), "x")
  expect_identical(wrapper(x, lr = 1L)$lr, 1)
  expect_identical(wrapper(x, n.hidden = 12)$n_hidden, 12L)
  expect_identical(wrapper(x, n_hidden = 12)$n_hidden, 12L)
  expect_identical(wrapper(x, n.hidden = 12, n_hidden = 12)$n_hidden, 12L)
  expect_identical(names(wrapper(x, n.hidden = 12, n_hidden = NULL)), c("x", "n_hidden"))
  given_null <- wrapper(x, seed = NULL)
  expect_true("seed" %in% names(given_null))
  expect_null(given_null$seed)
  expect_identical(wrapper(x, flag = FALSE)$flag, FALSE)
  expect_error(wrapper(), "argument \"x\" is missing, with no default")
  expect_error(wrapper(x, n.hidden = 12, n_hidden = 13), "n.hidden and n_hidden name the same size")
  expect_error(wrapper(x, seed = 1.5), "seed must be a single whole number, got 1.5", class = "pyrnn_error")
  # whole numbers beyond R's integer range reach Python as ints: seeds go up to 2^32 - 1
  big <- wrapper(x, seed = 2^32 - 1)$seed
  expect_identical(reticulate::import_builtins()$repr(big), "4294967295")
  unknown <- function(a = 1) pyrnn:::capture_args(list())
  expect_error(unknown(a = 2), "internal error: no converter for argument 'a'")
})

test_that("ranges and defaults are Python's: its messages come back as pyrnn_error", {
  model <- rnn(n.hidden = 4, seed = 1)
  x <- sample16()$x_train[1:50, ]
  y <- sample16()$y_train[1:50, ]
  expect_error(train_rnn(model, x, y, lr = 0), "lr \\(learning rate\\) must be a positive number",
               class = "pyrnn_error")
  expect_error(train_rnn(model, x, y, batch = 10, iteration = 0), "iteration must be a positive whole number",
               class = "pyrnn_error")
  expect_error(train_rnn(model, x, y, batch = 10, checkpoint_every = 0),
               "checkpoint_every must be a positive whole number", class = "pyrnn_error")
  expect_error(rnn(seed = -1), "seed must be a whole number in 0..4294967295 or NULL", class = "pyrnn_error")
  expect_error(rnn(seed = 2^32), "seed must be a whole number in 0..4294967295 or NULL", class = "pyrnn_error")
  expect_s3_class(rnn(n.hidden = 2, seed = 2^32 - 1), "pyrnn_model")
  expect_error(stacked_rnn(num_layers = 0), "num_layers must be a positive whole number", class = "pyrnn_error")
  expect_error(echo_data(batch_size = 0), "batch_size must be a positive whole number", class = "pyrnn_error")
  expect_error(train_echo(stop_accuracy = 2), "stop_accuracy must be in \\(0, 1\\] or NULL", class = "pyrnn_error")
  expect_error(read_data_sets("sample", validation_size = -1), "validation_size must be an int in 0..14999",
               class = "pyrnn_error")
})

test_that("what R can get wrong before Python sees it keeps R's words", {
  model <- rnn(n.hidden = 4, seed = 1)
  x <- sample16()$x_train[1:50, ]
  y <- sample16()$y_train[1:50, ]
  expect_error(train_rnn(model, x, y, lr = NA), "lr must be a single number, got NA", class = "pyrnn_error")
  expect_error(train_rnn(model, x, y, lr = "0.1"), "lr must be a single number, got \"0.1\"")
  expect_error(train_rnn(model, x, y, batch = c(10, 20)), "batch must be a single whole number, got numeric of length 2")
  expect_error(train_rnn(model, x, y, iteration = 2.5), "iteration must be a single whole number, got 2.5")
  expect_error(train_rnn(model, x, y, resume = NA), "resume must be TRUE or FALSE, got NA")
  expect_error(train_rnn(model, x, y, checkpoint = 1), "checkpoint must be a single non-empty string")
  expect_error(echo_data(seed = NA), "seed must be a single whole number, got NA")
  expect_error(train_rows28(data = factor("sample")), "data must be a single non-empty string, got a factor")
})
