#!/usr/bin/env bash
# Debian's reticulate 1.28 (no py_require()): the built tarball installed into
# a scratch library with a scratch HOME, then install_pyrnn() with no arguments
# makes the virtualenv r-pyrnn from the copy inside the installed package
# (NumPy below 2, the rest from the package index); a new R session uses it.
source "$(dirname "$0")/lib.sh"

export HOME=$SCRATCH/home R_LIBS=$SCRATCH/lib
# R and the system Python (whose venv module reticulate uses) only
export PATH=/usr/bin:/bin
mkdir -p "$HOME" "$SCRATCH/lib"

check_tarball
step "install.packages(tarball) into a scratch library" run_r \
  "install.packages('$TARBALL', repos = NULL, lib = '$SCRATCH/lib'); stopifnot(packageVersion('reticulate') < '1.38')"
step "install_pyrnn()" run_r 'pyrnn::install_pyrnn()'
# pip built from a temporary copy: the installed R package's copy is as it was
leftovers=$(find "$SCRATCH/lib/pyrnn/python" -maxdepth 1 \( -name build -o -name '*.egg-info' \))
[ -z "$leftovers" ] || fail "install_pyrnn() left files in the installed package: $leftovers"
step "library(pyrnn); pyrnn_config()" run_r '
library(pyrnn)
config <- pyrnn_config()
stopifnot(grepl("install_pyrnn()", config$chosen_by, fixed = TRUE), startsWith(config$numpy, "1."),
          startsWith(config$python, file.path(Sys.getenv("HOME"), ".virtualenvs", "r-pyrnn")))
'
step "tiny train" run_r "$TINY_TRAIN"

NUMPY2_PYTHON=${NUMPY2_PYTHON:?set NUMPY2_PYTHON to a Python with pyrnn and NumPy 2 (build/venv-numpy2)}
echo "== PYRNN_PYTHON with NumPy 2, which reticulate 1.28 cannot use: the first call says so and how to fix it"
output=$(PYRNN_PYTHON=$NUMPY2_PYTHON run_r 'library(pyrnn); reduceImage(matrix(0, 2, 784))' 2>&1) &&
  fail "reticulate 1.28 loaded pyrnn beside NumPy 2: $output"
echo "$output" | tail -4
for expected in "Python tried: $NUMPY2_PYTHON (chosen by PYRNN_PYTHON)" "Problem: this Python has NumPy 2." \
                "Fix: $NUMPY2_PYTHON -m pip install 'numpy<2' $SCRATCH/lib/pyrnn/python"; do
  grep -qF "$expected" <<<"$output" || fail "the error does not say: $expected"
done
echo "install_pyrnn() path: OK"
