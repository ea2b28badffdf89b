# pyrnn: set-up, the main job, and every test suite.
#   make demo   set up, then train the cookbook's LSTM recipe on the default data
#   make test   set up, then run every suite: pytest under NumPy 1.26 and NumPy 2, R CMD check
#               (with tests/testthat) under reticulate 1.28 and 1.46, and the end-to-end
#               installs from the built artefacts (tests/install)
PY      := .venv/bin/python
PY2     := build/venv-numpy2/bin/python
RLIB146 := $(CURDIR)/build/rlib-reticulate146
MNIST   ?= $(abspath ../shared/data/mnist)
RCHECK  := $(CURDIR)/build/rcheck
VERSION := $(shell sed -n 's/^Version: //p' DESCRIPTION)
TARBALL := $(CURDIR)/build/pyrnn_$(VERSION).tar.gz

.PHONY: setup demo test tarball test-python test-python-numpy1 test-python-numpy2 test-r check-r check-r-146 \
	test-install install-wheel install-r-py-require install-r-install-pyrnn bench clean

setup:
	bash scripts/setup.sh

demo: setup
	.venv/bin/pyrnn recipe lstm --out runs/lstm --force

# each stage in turn, with its time
test:
	@for stage in setup test-python test-r test-install; do \
		start=$$(date +%s); $(MAKE) --no-print-directory $$stage || exit 1; \
		echo "== make $$stage: $$(( $$(date +%s) - start )) s"; \
	done

test-python: test-python-numpy1 test-python-numpy2

test-python-numpy1:
	PYRNN_TEST_MNIST=$(MNIST) $(PY) -m pytest

test-python-numpy2:
	PYRNN_TEST_MNIST=$(MNIST) $(PY2) -m pytest

test-r: check-r check-r-146

# The R source package with its vignette built, once for every check below, from the files
# git knows (tracked, or new and not ignored): what a clone has, without the venvs R CMD build
# would copy first. inst/python's links to pyrnn/ and pyproject.toml come out as copies.
tarball:
	rm -rf build/src build/pyrnn_*.tar.gz && mkdir -p build/src
	git ls-files -z --cached --others --exclude-standard \
		| tar cf - --null --ignore-failed-read -T - 2>/dev/null | tar xf - -C build/src
	cd build && RETICULATE_PYTHON=$(CURDIR)/$(PY) TF_CPP_MIN_LOG_LEVEL=3 PYRNN_TEST_MNIST=$(MNIST) R CMD build src

# R CMD check installs the package in a scratch library and runs tests/testthat.
# rcheck PYTHON NUMPY-MAJOR DIR-SUFFIX R_LIBS: R_LIBS empty is Debian's reticulate
define rcheck
	rm -rf $(RCHECK)$(3) && mkdir -p $(RCHECK)$(3)
	cd $(RCHECK)$(3) && R_LIBS=$(4) RETICULATE_PYTHON=$(CURDIR)/$(1) TF_CPP_MIN_LOG_LEVEL=3 PYRNN_TEST_NUMPY=$(2) \
		PYRNN_TEST_MNIST=$(MNIST) _R_CHECK_FORCE_SUGGESTS_=false \
		R CMD check --no-manual --no-build-vignettes $(TARBALL) || { cat pyrnn.Rcheck/tests/testthat.Rout* 2>/dev/null; exit 1; }
	@! grep -qE "^Status:.*(ERROR|WARNING)" $(RCHECK)$(3)/pyrnn.Rcheck/00check.log
endef

check-r: tarball
	$(call rcheck,$(PY),1,,)

check-r-146: tarball
	@test -f $(RLIB146)/reticulate/DESCRIPTION || { echo "reticulate 1.46 is not in $(RLIB146): make setup \
		installs it from ../shared/r/reticulate_1.46.0.tar.gz (or RETICULATE_TARBALL=FILE)"; exit 1; }
	$(call rcheck,$(PY2),2,-146,$(RLIB146))

# end to end, from the built wheel and R tarball, in scratch folders outside the repository
test-install: install-wheel install-r-py-require install-r-install-pyrnn

install-wheel:
	bash tests/install/wheel.sh

install-r-py-require: tarball
	PYRNN_TARBALL=$(TARBALL) RETICULATE_LIB=$(RLIB146) bash tests/install/r-py-require.sh

install-r-install-pyrnn: tarball
	PYRNN_TARBALL=$(TARBALL) NUMPY2_PYTHON=$(CURDIR)/$(PY2) bash tests/install/r-install-pyrnn.sh

bench:
	$(PY) bench/accuracy.py --with-keras
	$(PY) bench/input_gain.py
	$(PY) bench/speed.py

clean:
	rm -rf build runs .pytest_cache
