# install_pyrnn() checks the Python it would make the virtualenv with, as this R
# session runs it, and stops before anything is made. (Installing for real is
# tests/install/r-install-pyrnn.sh, from the built tarball.)

skip_if_no_python()

install_error <- function(...) tryCatch({
  install_pyrnn(..., envname = "pyrnn-test-never-made")
  NULL
}, error = conditionMessage)

test_that("a Python whose ssl fails as R runs it is named, with the failure and how to choose another", {
  python <- reticulate::py_config()$python
  # a real Python whose ssl module fails to import, as a libpython from another build does
  broken <- tempfile("broken-ssl-")
  dir.create(broken)
  writeLines('raise ImportError("libssl.so.3: cannot open shared object file")', file.path(broken, "ssl.py"))
  message <- with_envvars(c(PYTHONPATH = broken), install_error(python = python))
  expect_match(message, paste0("install_pyrnn() cannot use `python`, ", python, " (Python 3."), fixed = TRUE)
  expect_match(message, "its ssl module does not import (ImportError: libssl.so.3", fixed = TRUE)
  expect_match(message, 'Choose another Python, e.g. Debian\'s: install_pyrnn(python = "/usr/bin/python3")',
               fixed = TRUE)
  expect_false(reticulate::virtualenv_exists("pyrnn-test-never-made"))
})

test_that("a Python that does not exist is named before anything is made", {
  missing_python <- file.path(tempdir(), "no-such-python3")
  expect_match(install_error(python = missing_python),
               paste0("cannot use `python`, ", missing_python, ", as R runs it:\n  - that file does not exist"),
               fixed = TRUE)
})
