skip_if_no_python()

test_that("the Python side loads and pyrnn_config() names the Python and the versions", {
  expect_silent(config <- pyrnn_config()) # as tensorflow::tf_config(): printed only when shown
  output <- capture.output(print(config))
  expect_true(pyrnn_available())
  expect_true(file.exists(config$python))
  expect_identical(config$pyrnn, reticulate::py_to_r(python_pyrnn()$`__version__`))
  # one version: DESCRIPTION's is the Python package's (pyproject.toml, read from its metadata)
  expect_identical(config$pyrnn, as.character(utils::packageVersion("pyrnn")))
  # the NumPy the suite runs with, as make test sets it: 1 under reticulate 1.28, 2 under 1.46
  expect_match(config$numpy, sprintf("^%s\\.", Sys.getenv("PYRNN_TEST_NUMPY", "1")))
  expect_match(config$tensorflow, "^2\\.")
  expect_match(paste(output, collapse = "\n"), "Python: .*TensorFlow: .*NumPy: ")
  expect_identical(config$tf_log_level, Sys.getenv("TF_CPP_MIN_LOG_LEVEL"))
  expect_match(paste(output, collapse = "\n"), sprintf("TensorFlow log level: %s", config$tf_log_level))
  threads <- reticulate::import("tensorflow")$config$threading$get_intra_op_parallelism_threads()
  expect_identical(config$one_thread_per_op, threads == 1L)
})

test_that("TensorFlow's log level and threads follow the options, in a fresh R process", {
  show <- c("config <- pyrnn::pyrnn_config()", "print(config)",
            "threads <- reticulate::import('tensorflow')$config$threading$get_intra_op_parallelism_threads()",
            "cat(sprintf('\\n[%s|%s|%s|%d]\\n', config$tf_log_level, config$tf_log_level_from,",
            "            config$one_thread_per_op, threads))")
  by_default <- run_r(show, c(TF_CPP_MIN_LOG_LEVEL = NA, TF_NUM_INTRAOP_THREADS = NA))
  expect_null(by_default$status)
  expect_match(by_default$output, "[1|the option pyrnn.tf_log_level|TRUE|1]", fixed = TRUE)
  chosen <- run_r(c("options(pyrnn.tf_log_level = '2', pyrnn.one_thread_per_op = FALSE)", show),
                  c(TF_CPP_MIN_LOG_LEVEL = NA, TF_NUM_INTRAOP_THREADS = NA))
  expect_null(chosen$status)
  expect_match(chosen$output, "[2|the option pyrnn.tf_log_level|FALSE|0]", fixed = TRUE)
  expect_match(chosen$output, "TensorFlow threads: +TensorFlow's own setting")
  from_environment <- run_r(c("options(pyrnn.tf_log_level = '2')", show), c(TF_CPP_MIN_LOG_LEVEL = "3"))
  expect_null(from_environment$status)
  expect_match(from_environment$output, "[3|the environment variable TF_CPP_MIN_LOG_LEVEL|", fixed = TRUE)
})

test_that("echo_data(), dependency_data() and expected_cross_entropy() do not load TensorFlow", {
  run <- run_r(c(
    "library(pyrnn)",
    "data <- echo_data(total_series_length = 100, echo_step = 3, batch_size = 2, seed = 1)",
    "dependency <- dependency_data(size = 1000, seed = 1)",
    "expected <- expected_cross_entropy()",
    "tensorflow <- reticulate::py_eval('\"tensorflow\" in __import__(\"sys\").modules')",
    "modules <- reticulate::py_eval('sorted(m for m in __import__(\"sys\").modules if m.startswith(\"pyrnn\"))')",
    "cat('\\ntensorflow loaded:', tensorflow, '\\nmodules:', modules, '\\n')",
    "cat(sprintf('rows %d, series %d, expected %.2f\\n', nrow(data$x), length(dependency$x), expected[[1]]))"))
  expect_null(run$status)
  expect_match(run$output, "rows 2, series 1000, expected 0.66", fixed = TRUE)
  expect_match(run$output, "tensorflow loaded: FALSE", fixed = TRUE)
  modules <- regmatches(run$output, regexpr("modules:[^\n]*", run$output))
  expect_match(modules, "pyrnn.sequences.echo", fixed = TRUE)
  expect_match(modules, "pyrnn.sequences.dependency", fixed = TRUE)
  expect_no_match(modules, "pyrnn.cli", fixed = TRUE)
})

test_that("RETICULATE_PYTHON, then PYRNN_PYTHON, win over install_pyrnn()'s virtualenv and py_require()", {
  python <- reticulate::py_config()$python
  show <- "config <- pyrnn::pyrnn_config(); cat(sprintf('\\n[%s|%s]\\n', config$chosen_by, config$python))"
  home <- tempfile("home-")
  dir.create(home)
  on.exit(unlink(home, recursive = TRUE))
  # a scratch HOME with an empty r-pyrnn: a virtualenv pyrnn would use if the variables did not win
  expect_identical(system2(Sys.which("python3"), c("-m", "venv", "--without-pip",
                                                   file.path(home, ".virtualenvs", "r-pyrnn"))), 0L)
  by_reticulate <- run_r(show, c(RETICULATE_PYTHON = python, PYRNN_PYTHON = "/nonexistent/python", HOME = home))
  expect_null(by_reticulate$status)
  expect_match(by_reticulate$output, sprintf("[RETICULATE_PYTHON|%s]", python), fixed = TRUE)
  by_pyrnn <- run_r(show, c(RETICULATE_PYTHON = NA, PYRNN_PYTHON = python, HOME = home, VIRTUAL_ENV = NA))
  expect_null(by_pyrnn$status)
  expect_match(by_pyrnn$output, sprintf("[PYRNN_PYTHON|%s]", python), fixed = TRUE)
  by_virtualenv <- run_r("library(pyrnn); pyrnn_config()",
                         c(RETICULATE_PYTHON = NA, PYRNN_PYTHON = NA, HOME = home, VIRTUAL_ENV = NA, WORKON_HOME = NA))
  expect_identical(by_virtualenv$status, 1L)
  expect_match(by_virtualenv$output, "(chosen by the virtualenv 'r-pyrnn' made by install_pyrnn())", fixed = TRUE)
})

test_that("a PYRNN_PYTHON that does not exist is an error saying which Python and the fix", {
  run <- run_r("library(pyrnn); reduceImage(rep(0, 784))",
               c(RETICULATE_PYTHON = NA, PYRNN_PYTHON = "/nonexistent/bin/python"))
  expect_identical(run$status, 1L)
  expect_match(run$output, "Python tried: /nonexistent/bin/python (chosen by PYRNN_PYTHON)", fixed = TRUE)
  expect_match(run$output, "Fix: export PYRNN_PYTHON=", fixed = TRUE)
})

test_that("a Python without pyrnn is an error saying which Python and the pip command with pyrnn's own copy", {
  venv <- file.path(tempfile("no-pyrnn-"), "venv")
  on.exit(unlink(dirname(venv), recursive = TRUE))
  expect_identical(system2(Sys.which("python3"), c("-m", "venv", "--without-pip", venv)), 0L)
  python <- file.path(venv, "bin", "python")
  run <- run_r("library(pyrnn); reduceImage(rep(0, 784))", c(RETICULATE_PYTHON = NA, PYRNN_PYTHON = python))
  expect_identical(run$status, 1L)
  expect_match(run$output, sprintf("Python tried: %s (chosen by PYRNN_PYTHON)", python), fixed = TRUE)
  expect_match(run$output, "Problem: .*No module named 'pyrnn'")
  numpy <- if (utils::packageVersion("reticulate") < "1.38") "'numpy<2' " else ""
  expect_match(run$output, sprintf("Fix: %s -m pip install %s%s; then restart R.", python, numpy,
                                   system.file("python", package = "pyrnn")), fixed = TRUE)
})

test_that("a Python with pyrnn but without TensorFlow fails on the first call, which names what is missing", {
  # a venv holding pyrnn (the installed copy), NumPy and Pillow, linked from the tests' Python, and nothing else
  venv <- file.path(tempfile("no-tensorflow-"), "venv")
  on.exit(unlink(dirname(venv), recursive = TRUE))
  expect_identical(system2(Sys.which("python3"), c("-m", "venv", "--without-pip", venv)), 0L)
  python <- file.path(venv, "bin", "python")
  site <- system2(python, c("-c", shQuote("import sysconfig; print(sysconfig.get_paths()['purelib'])")), stdout = TRUE)
  numpy <- reticulate::import("numpy")
  from <- dirname(dirname(numpy$`__file__`))
  linked <- Sys.glob(file.path(from, c("numpy", "numpy.libs", "numpy-*.dist-info", "PIL", "pillow.libs",
                                       "pillow-*.dist-info")))
  expect_true(all(file.symlink(linked, file.path(site, basename(linked)))))
  writeLines(system.file("python", package = "pyrnn"), file.path(site, "pyrnn.pth"))
  run <- run_r("library(pyrnn); pyrnn_config()", c(RETICULATE_PYTHON = NA, PYRNN_PYTHON = python))
  expect_identical(run$status, 1L)
  expect_match(run$output, sprintf("Python tried: %s (chosen by PYRNN_PYTHON)", python), fixed = TRUE)
  expect_match(run$output, "Problem: this Python has pyrnn but not tensorflow or keras", fixed = TRUE)
  expect_match(run$output, sprintf("Fix: %s -m pip install ", python), fixed = TRUE)
})

test_that("with nothing set up, the first call says what reticulate tried and install_pyrnn() as the fix", {
  # a new user: scratch HOME (no r-pyrnn virtualenv, no uv cached), no uv on PATH
  home <- tempfile("home-")
  dir.create(home)
  on.exit(unlink(home, recursive = TRUE))
  run <- run_r("library(pyrnn); pyrnn_config()",
               c(RETICULATE_PYTHON = NA, PYRNN_PYTHON = NA, HOME = home, PATH = "/usr/bin:/bin",
                 UV_PYTHON_DOWNLOADS = "never", WORKON_HOME = NA, RETICULATE_UV = NA,
                 VIRTUAL_ENV = NA, RETICULATE_PYTHON_ENV = NA))
  expect_identical(run$status, 1L)
  expect_match(run$output, "pyrnn cannot load its Python side.", fixed = TRUE)
  expect_match(run$output, "Fix: Rscript -e 'pyrnn::install_pyrnn()'", fixed = TRUE)
  if (utils::packageVersion("reticulate") >= "1.41") {
    expect_match(run$output, "chosen by py_require()", fixed = TRUE)
    expect_match(run$output, "Problem: no uv to make the environment", fixed = TRUE)
  } else {
    expect_match(run$output, "chosen by reticulate's own search", fixed = TRUE)
  }
})

test_that("install_pyrnn() refuses a folder that is not the pyrnn Python package", {
  expect_error(install_pyrnn(tempdir()), "is not the pyrnn Python package \\(no pyproject.toml there\\)")
})

test_that("install_pyrnn() installs, by default, the copy of pyrnn inside the installed R package", {
  source <- pyrnn:::find_pyrnn_source()
  expect_identical(source, system.file("python", package = "pyrnn"))
  expect_true(file.exists(file.path(source, "pyproject.toml")))
  expect_true(file.exists(file.path(source, "pyrnn", "datasets", "mnist_sample", "train-images-idx3-ubyte.gz")))
  expect_match(readLines(file.path(source, "pyproject.toml")), "^name = \"pyrnn\"$", all = FALSE)
})

test_that("a PyrnnError becomes an R error of class pyrnn_error carrying just its message", {
  error <- tryCatch(read_data_sets(file.path(tempdir(), "no-such-mnist")), error = identity)
  expect_s3_class(error, "pyrnn_error")
  expect_false(inherits(error, "pyrnn_python_error"))
  expect_identical(error$python_type, "MissingFileError")
  expect_match(conditionMessage(error), "^.*no-such-mnist: MNIST files missing")
  expect_no_match(conditionMessage(error), "Traceback|Error|py_last_error")
  expect_null(conditionCall(error))
})

test_that("any other Python exception keeps its type and says where its traceback is", {
  # a ValueError raised inside NumPy is a bug's, not the user's
  error <- tryCatch(pyrnn:::with_py_errors(reticulate::import("numpy")$reshape(c(1, 2, 3), c(2L, 2L))),
                    error = identity)
  expect_s3_class(error, "pyrnn_python_error")
  expect_false(inherits(error, "pyrnn_error"))
  expect_identical(error$python_type, "ValueError")
  expect_identical(conditionMessage(error), paste("ValueError: cannot reshape array of size 3 into shape (2,2)",
                                                  "(run reticulate::py_last_error() for the Python traceback)"))
  expect_match(paste(reticulate::py_last_error()$traceback, collapse = "\n"), "reshape")
  error <- tryCatch(pyrnn:::with_py_errors(reticulate::py_run_string("raise RuntimeError('x')")), error = identity)
  expect_s3_class(error, "pyrnn_python_error")
  expect_identical(conditionMessage(error),
                   "RuntimeError: x (run reticulate::py_last_error() for the Python traceback)")
  expect_null(conditionCall(error))
  # an R callback that fails inside Python comes back as its own R error, not Python's RuntimeError
  error <- tryCatch(train_rnn(rnn(n.hidden = 4, seed = 1), sample16()$x_train[1:20, ], sample16()$y_train[1:20, ],
                              batch = 5, iteration = 2, callback = function(i, loss) stop("it failed")),
                    error = identity)
  expect_s3_class(error, "pyrnn_callback_error")
  expect_identical(conditionMessage(error), "callback failed: it failed")
})

test_that("R errors inside with_py_errors() pass unchanged, even after a Python error", {
  try(pyrnn:::with_py_errors(reticulate::py_run_string("raise RuntimeError('earlier')")), silent = TRUE)
  error <- tryCatch(pyrnn:::with_py_errors(stop("an R error")), error = identity)
  expect_identical(conditionMessage(error), "an R error")
  expect_false(inherits(error, c("pyrnn_error", "pyrnn_python_error")))
})

test_that("a PYRNN_PYTHON pip cannot install into (the system's, PEP 668) gets install_pyrnn(python =) as the fix", {
  managed <- pyrnn:::externally_managed("/usr/bin/python3")
  # CI's Debian marks its Python so; elsewhere (another system) there is nothing to test
  if (!identical(Sys.getenv("PYRNN_REQUIRE_PYTHON"), "true") && !managed) skip("/usr/bin/python3 is not PEP 668's")
  expect_true(managed)
  run <- run_r("library(pyrnn); reduceImage(rep(0, 784))", c(RETICULATE_PYTHON = NA, PYRNN_PYTHON = "/usr/bin/python3"))
  expect_identical(run$status, 1L)
  expect_match(run$output, "Fix: Rscript -e 'pyrnn::install_pyrnn(python = \"/usr/bin/python3\")'", fixed = TRUE)
  expect_match(run$output, "and unset PYRNN_PYTHON", fixed = TRUE)
  expect_false(pyrnn:::externally_managed(reticulate::py_config()$python)) # a virtualenv's: pip installs there
})
