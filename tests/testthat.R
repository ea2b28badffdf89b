# The tests call the real Python core: RETICULATE_PYTHON or PYRNN_PYTHON must
# name a Python with pyrnn installed (or install_pyrnn() must have been run).
# Without one, the tests that need it are skipped with the reason, unless
# PYRNN_REQUIRE_PYTHON=true (CI sets it), where they fail.
library(testthat)
library(pyrnn)

test_check("pyrnn")
