# Shared by the end-to-end install checks: run from the repository root (make
# does), each works in a scratch folder outside the repository, removed at the
# end, and fails loudly: set -e, and every check is an explicit test.
set -euo pipefail
REPO=$(pwd)
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/pyrnn-install.XXXXXX")
trap 'rm -rf "$SCRATCH"' EXIT
# what a new user has not set: no Python chosen for them, no active venv
unset RETICULATE_PYTHON PYRNN_PYTHON PYRNN_SOURCE VIRTUAL_ENV WORKON_HOME RETICULATE_PYTHON_ENV R_LIBS R_LIBS_USER
export TF_CPP_MIN_LOG_LEVEL=2

# step NAME COMMAND...: run COMMAND and print how long it took
step() {
  local name=$1 start=$SECONDS
  shift
  echo "== $name"
  "$@"
  echo "== $name: $((SECONDS - start)) s"
}

fail() {
  echo "FAILED: $*" >&2
  exit 1
}

# The R source package (PYRNN_TARBALL, from make tarball): it must carry the
# Python package, its sample data and pyproject.toml, and no build leftovers.
check_tarball() {
  TARBALL=${PYRNN_TARBALL:?set PYRNN_TARBALL to the R source package (make tarball builds it)}
  local files
  files=$(tar tzf "$TARBALL")
  grep -q '^pyrnn/inst/python/pyproject.toml$' <<<"$files" || fail "$TARBALL has no inst/python/pyproject.toml"
  grep -q '^pyrnn/inst/python/pyrnn/datasets/mnist_sample/' <<<"$files" || fail "$TARBALL has no MNIST sample"
  if grep -E '__pycache__|egg-info' <<<"$files"; then fail "$TARBALL carries build leftovers"; fi
}

# R code run in a fresh R process from the scratch folder (not the repository)
run_r() {
  (cd "$SCRATCH" && Rscript -e "$1")
}

# The tiny training run both R paths end with: the cookbook's basic RNN on 200
# images of the bundled sample, then its accuracy on 100 test images.
TINY_TRAIN='
library(pyrnn)
mnist <- read_data_sets("sample")
x <- reduceImage(mnist$train$images[1:200, ]); y <- mnist$train$labels[1:200, ]
model <- rnn(n.hidden = 8, seed = 1)
history <- train_rnn(model, x, y, batch = 50, iteration = 4, verbose = FALSE)
accuracy <- eval_acc(predict_rnn(model, reduceImage(mnist$test$images[1:100, ])), mnist$test$labels[1:100, ])
stopifnot(inherits(history, "pyrnn_history"), length(history$loss) == 4, all(is.finite(history$loss)),
          accuracy >= 0, accuracy <= 1)
cat("tiny train: loss", format(history$loss, digits = 3), "accuracy", accuracy, "\n")
'
