# pyrnn: set-up, the main job, and every test suite.
#   make demo   set up, then train the cookbook's LSTM recipe on the default data
#   make test   set up, then run the pytest suite, the testthat suite and R CMD check
PY      := .venv/bin/python
RPY     := RETICULATE_PYTHON=$(CURDIR)/.venv/bin/python TF_CPP_MIN_LOG_LEVEL=3
MNIST   ?= $(abspath ../shared/data/mnist)
RCHECK  := $(CURDIR)/build/rcheck

.PHONY: setup demo test test-python test-r check-r bench clean

setup:
	bash scripts/setup.sh

demo: setup
	.venv/bin/pyrnn recipe lstm --out runs/lstm --force

test: setup test-r test-python

test-python:
	PYRNN_TEST_MNIST=$(MNIST) $(PY) -m pytest

test-r: check-r

# R CMD check builds the package, installs it in a scratch library and runs tests/testthat
check-r:
	rm -rf $(RCHECK) && mkdir -p $(RCHECK)
	cd $(RCHECK) && R CMD build --no-build-vignettes $(CURDIR)
	cd $(RCHECK) && $(RPY) PYRNN_TEST_MNIST=$(MNIST) _R_CHECK_FORCE_SUGGESTS_=false \
		R CMD check --no-manual pyrnn_*.tar.gz || { cat pyrnn.Rcheck/tests/testthat.Rout* 2>/dev/null; exit 1; }
	@! grep -qE "^Status:.*(ERROR|WARNING)" $(RCHECK)/pyrnn.Rcheck/00check.log

bench:
	$(PY) bench/accuracy.py --with-keras
	$(PY) bench/input_gain.py
	$(PY) bench/speed.py

clean:
	rm -rf build runs .pytest_cache
