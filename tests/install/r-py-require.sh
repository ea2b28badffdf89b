#!/usr/bin/env bash
# reticulate >= 1.41 (1.46 from ../shared/r): the built tarball installed into a
# scratch library with a scratch HOME; library(pyrnn) declares pyrnn with
# py_require() and reticulate makes its environment with uv from the package
# index, NumPy 2 included. First without uv, which must fail in pyrnn's words.
source "$(dirname "$0")/lib.sh"

RETICULATE_LIB=${RETICULATE_LIB:-$REPO/build/rlib-reticulate146}
export HOME=$SCRATCH/home R_LIBS=$SCRATCH/lib:$RETICULATE_LIB UV_PYTHON_DOWNLOADS=never
mkdir -p "$HOME" "$SCRATCH/lib" "$SCRATCH/bin"
# a PATH with no uv: R, the system Python, and (below) only uv itself added
export PATH=$SCRATCH/bin:/usr/bin:/bin

check_tarball
step "install.packages(tarball) into a scratch library" run_r \
  "install.packages('$TARBALL', repos = NULL, lib = '$SCRATCH/lib'); stopifnot(packageVersion('reticulate') >= '1.41')"

echo "== with no uv anywhere, the first call fails with pyrnn's message"
output=$(run_r 'library(pyrnn); pyrnn_config()' 2>&1) && fail "pyrnn_config() worked with no uv: $output"
echo "$output" | tail -5
for expected in "pyrnn cannot load its Python side" "chosen by py_require()" "Problem: no uv" \
                "Fix: Rscript -e 'pyrnn::install_pyrnn()'"; do
  grep -qF "$expected" <<<"$output" || fail "the error does not say: $expected"
done

step "pip install uv (from the package index)" bash -c \
  "python3 -m venv '$SCRATCH/uv-venv' && '$SCRATCH/uv-venv/bin/pip' install -q uv"
ln -s "$SCRATCH/uv-venv/bin/uv" "$SCRATCH/bin/uv"
step "library(pyrnn); pyrnn_config(): reticulate provisions the environment with uv" run_r '
library(pyrnn)
config <- pyrnn_config()
stopifnot(grepl("py_require()", config$chosen_by, fixed = TRUE), startsWith(config$numpy, "2."),
          startsWith(config$python, Sys.getenv("HOME")))
'
step "tiny train" run_r "$TINY_TRAIN"
echo "py_require path: OK"
