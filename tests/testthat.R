# The tests call the real Python core: RETICULATE_PYTHON or PYRNN_PYTHON must
# name a Python with pyrnn installed (or install_pyrnn() must have been run).
# Without it they fail; they are never skipped.
library(testthat)
library(pyrnn)

test_check("pyrnn")
