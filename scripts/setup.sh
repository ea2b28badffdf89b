#!/usr/bin/env bash
# Set up a fresh Debian machine for pyrnn and its test suites. Idempotent.
#   .venv                    pyrnn (editable) with NumPy below 2: the Python suite, and the R
#                            suite under Debian's reticulate 1.28, which refuses NumPy 2
#   build/venv-numpy2        the same with NumPy 2: the Python suite again, and the R suite
#                            under reticulate 1.46
#   build/rlib-reticulate146 reticulate 1.46 (what CRAN users have) from ../shared/r
set -euo pipefail
cd "$(dirname "$0")/.."

# R, reticulate 1.28 and the test tools; the R packages reticulate 1.46 imports;
# knitr, rmarkdown and pandoc for the vignette; the system Python's venv module
# (the end-to-end install checks make virtualenvs with it); qpdf and tidy for
# R CMD check --as-cran; pkgdown and Chromium for the site and its browser test; postgresql
# for the shared-sweep test, which starts its own server in a temporary folder
DEBIAN_PACKAGES="r-base-core r-base-dev r-cran-reticulate r-cran-testthat r-cran-roxygen2 r-cran-rcmdcheck
  r-cran-rcpp r-cran-rcpptoml r-cran-here r-cran-jsonlite r-cran-png r-cran-rappdirs r-cran-rlang
  r-cran-withr r-cran-matrix r-cran-knitr r-cran-rmarkdown pandoc python3-venv
  qpdf tidy r-cran-pkgdown r-cran-cli chromium postgresql"
wanted=$(echo $DEBIAN_PACKAGES | wc -w)
installed=$(dpkg-query -W -f='${Status}\n' $DEBIAN_PACKAGES 2>/dev/null | grep -c "install ok installed" || true)
if [ "$installed" -lt "$wanted" ]; then
  echo "== installing R, R packages, pandoc, python3-venv and postgresql from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $DEBIAN_PACKAGES >/dev/null
fi

PYTHON=${PYTHON:-python3}
# venv_with_pyrnn DIR NUMPY-REQUIREMENT NUMPY-MAJOR
venv_with_pyrnn() {
  if [ ! -x "$1/bin/python" ]; then
    echo "== creating $1"
    "$PYTHON" -m venv "$1"
  fi
  echo "== installing pyrnn into $1 with $2"
  # editable_mode=compat puts the source folder on sys.path: a folder named pyrnn in the
  # working directory (R CMD check's installed R package) cannot then hide the module
  "$1/bin/pip" install -q --disable-pip-version-check -e ".[test]" "$2" --config-settings editable_mode=compat
  TF_CPP_MIN_LOG_LEVEL=3 "$1/bin/python" -c "import numpy, tensorflow, pyrnn
assert numpy.__version__.startswith('$3.'), numpy.__version__
print('$1: tensorflow', tensorflow.__version__, 'numpy', numpy.__version__, 'pyrnn', pyrnn.__version__)"
}
venv_with_pyrnn .venv "numpy<2" 1
venv_with_pyrnn build/venv-numpy2 "numpy>=2" 2

RETICULATE_TARBALL=${RETICULATE_TARBALL:-../shared/r/reticulate_1.46.0.tar.gz}
if [ -f build/rlib-reticulate146/reticulate/DESCRIPTION ]; then
  R_LIBS=build/rlib-reticulate146 Rscript -e 'stopifnot(packageVersion("reticulate") == "1.46.0")'
elif [ -f "$RETICULATE_TARBALL" ]; then
  echo "== installing reticulate 1.46 into build/rlib-reticulate146"
  mkdir -p build/rlib-reticulate146
  R CMD INSTALL -l build/rlib-reticulate146 "$RETICULATE_TARBALL" >build/rlib-reticulate146.log 2>&1 ||
    { tail -20 build/rlib-reticulate146.log; exit 1; }
  R_LIBS=build/rlib-reticulate146 Rscript -e 'stopifnot(packageVersion("reticulate") == "1.46.0")'
else
  # make demo needs none of it; make test's reticulate 1.46 suite says so and stops
  echo "== reticulate 1.46 not installed: no $RETICULATE_TARBALL (the tests' ../shared beside the clone)"
fi
