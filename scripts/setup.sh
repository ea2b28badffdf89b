#!/usr/bin/env bash
# Set up a fresh Debian machine for pyrnn: R from Debian, a Python venv with
# pyrnn and NumPy below 2 (reticulate 1.28 refuses NumPy 2). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

R_PACKAGES="r-base-core r-cran-reticulate r-cran-testthat r-cran-roxygen2 r-cran-rcmdcheck"
installed=$(dpkg-query -W -f='${Status}\n' $R_PACKAGES 2>/dev/null | grep -c "install ok installed" || true)
if [ "$installed" -lt 5 ]; then
  echo "== installing R and packages from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $R_PACKAGES >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$PYTHON" -m venv .venv
fi
echo "== installing pyrnn into .venv"
.venv/bin/pip install -q --disable-pip-version-check -e ".[test]"
TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python -c "import numpy, tensorflow, pyrnn; assert numpy.__version__ < '2', numpy.__version__; \
print('python', tensorflow.__version__, 'numpy', numpy.__version__, 'pyrnn', pyrnn.__version__)"
