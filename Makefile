# pyrnn: set-up, the main job, and every test suite.
#   make demo   set up, then train the cookbook's LSTM recipe on the default data
#   make test   set up, then run every suite: pytest under NumPy 1.26 and NumPy 2, R CMD check
#               --as-cran (with tests/testthat) under reticulate 1.28 and 1.46 and without a
#               usable Python, the pkgdown site in a headless browser, and the end-to-end
#               installs from the built artefacts (tests/install)
#   make site   the pkgdown site into build/site
PY      := .venv/bin/python
PY2     := build/venv-numpy2/bin/python
RLIB146 := $(CURDIR)/build/rlib-reticulate146
MNIST   ?= $(abspath ../shared/data/mnist)
RCHECK  := $(CURDIR)/build/rcheck
VERSION := $(shell sed -n 's/^Version: //p' DESCRIPTION)
TARBALL := $(CURDIR)/build/pyrnn_$(VERSION).tar.gz

.PHONY: setup demo test tarball test-python test-python-numpy1 test-python-numpy2 test-r check-r check-r-146 check-r-no-tensorflow check-r-no-python \
	site test-install install-wheel install-r-py-require install-r-install-pyrnn bench clean

setup:
	bash scripts/setup.sh

demo: setup
	.venv/bin/pyrnn recipe lstm --out runs/lstm --force

# each stage in turn, with its time; the two pytest runs side by side, and the R checks two
# at a time (each is mostly one process: two use the machine's two cores; output per check)
test:
	@for stage in setup test-python test-r site test-install; do \
		case $$stage in test-python|test-r) jobs="-j2 --output-sync=target";; *) jobs="";; esac; \
		start=$$(date +%s); $(MAKE) --no-print-directory $$jobs $$stage || exit 1; \
		echo "== make $$stage: $$(( $$(date +%s) - start )) s"; \
	done

test-python: test-python-numpy1 test-python-numpy2

test-python-numpy1:
	PYRNN_TEST_MNIST=$(MNIST) $(PY) -m pytest

test-python-numpy2:
	PYRNN_TEST_MNIST=$(MNIST) $(PY2) -m pytest

test-r: check-r check-r-146 check-r-no-tensorflow check-r-no-python

# The R source package with its vignette built, once for every check below, from the files
# git knows (tracked, or new and not ignored): what a clone has, without the venvs R CMD build
# would copy first. inst/python's links to pyrnn/ and pyproject.toml come out as copies.
tarball:
	rm -rf build/src build/pyrnn_*.tar.gz && mkdir -p build/src
	git ls-files -z --cached --others --exclude-standard \
		| tar cf - --null --ignore-failed-read -T - 2>/dev/null | tar xf - -C build/src
	cd build && RETICULATE_PYTHON=$(abspath $(PY)) TF_CPP_MIN_LOG_LEVEL=3 PYRNN_TEST_MNIST=$(MNIST) R CMD build src

# R CMD check --as-cran of the tarball, as CRAN checks it but offline and without the PDF
# manual (no LaTeX here): scripts/offline.Rprofile points R at an empty repository, so the
# incoming checks that need CRAN are left out (README, "What CI runs"); scripts/check_status.R
# fails on any ERROR, WARNING or NOTE a first submission would not get. HOME is an empty
# folder that must stay empty: nothing is written outside R's temporary folder.
# rcheck PYTHON NUMPY-MAJOR DIR-SUFFIX R_LIBS REQUIRE-PYTHON: PYTHON empty leaves
# RETICULATE_PYTHON unset; R_LIBS empty is Debian's reticulate; REQUIRE-PYTHON true makes
# the tests fail rather than skip without a usable Python side. With a Python, the first
# example to use TensorFlow spends 3 to 5 s importing it (CRAN, without pyrnn's Python side,
# runs none): the examples' time limit is 10 s there.
define rcheck
	rm -rf $(RCHECK)$(3) $(RCHECK)$(3)-home && mkdir -p $(RCHECK)$(3) $(RCHECK)$(3)-home
	cd $(RCHECK)$(3) && start=$$(date +%s) && env -u RETICULATE_PYTHON HOME=$(RCHECK)$(3)-home R_LIBS=$(4) \
		$(if $(1),RETICULATE_PYTHON=$(1)) PYRNN_REQUIRE_PYTHON=$(5) TF_CPP_MIN_LOG_LEVEL=3 PYRNN_TEST_NUMPY=$(2) \
		PYRNN_TEST_MNIST=$(MNIST) R_PROFILE_USER=$(CURDIR)/scripts/offline.Rprofile _R_CHECK_CRAN_INCOMING_REMOTE_=false \
		$(if $(1),_R_CHECK_EXAMPLE_TIMING_THRESHOLD_=10) \
		R CMD check --as-cran --no-manual $(TARBALL) || { cat pyrnn.Rcheck/tests/testthat.Rout* 2>/dev/null; exit 1; }; \
		echo "== R CMD check --as-cran: $$(( $$(date +%s) - start )) s"
	Rscript scripts/check_status.R $(RCHECK)$(3)/pyrnn.Rcheck/00check.log
	@test -z "$$(ls -A $(RCHECK)$(3)-home)" || { echo "R CMD check wrote into HOME:"; \
		find $(RCHECK)$(3)-home | head -20; exit 1; }
endef

check-r: tarball
	$(call rcheck,$(abspath $(PY)),1,,,true)

check-r-146: tarball
	@test -f $(RLIB146)/reticulate/DESCRIPTION || { echo "reticulate 1.46 is not in $(RLIB146): make setup \
		installs it from ../shared/r/reticulate_1.46.0.tar.gz (or RETICULATE_TARBALL=FILE)"; exit 1; }
	$(call rcheck,$(abspath $(PY2)),2,-146,$(RLIB146),true)

# as on CRAN's machines, without pyrnn's Python side: Debian's Python, which has no
# TensorFlow; and no Python (reticulate 1.46 would make one with uv, which is not there)
check-r-no-tensorflow: tarball
	$(call rcheck,/usr/bin/python3,,-no-tensorflow,,)

check-r-no-python: tarball
	$(call rcheck,,,-no-python,$(RLIB146),)

# end to end, from the built wheel and R tarball, in scratch folders outside the repository
test-install: install-wheel install-r-py-require install-r-install-pyrnn

install-wheel:
	bash tests/install/wheel.sh

install-r-py-require: tarball
	PYRNN_TARBALL=$(TARBALL) RETICULATE_LIB=$(RLIB146) bash tests/install/r-py-require.sh

install-r-install-pyrnn: tarball
	PYRNN_TARBALL=$(TARBALL) NUMPY2_PYTHON=$(abspath $(PY2)) bash tests/install/r-install-pyrnn.sh

# The pkgdown site, from the installed package (examples and the article run with .venv's
# Python), then opened in headless Chromium (tests/site/browser.sh)
site: tarball
	rm -rf build/site build/site-lib && mkdir -p build/site-lib
	R CMD INSTALL -l build/site-lib $(TARBALL) >build/site-lib.log 2>&1 || { tail -20 build/site-lib.log; exit 1; }
	R_LIBS=$(CURDIR)/build/site-lib RETICULATE_PYTHON=$(abspath $(PY)) TF_CPP_MIN_LOG_LEVEL=3 \
		Rscript scripts/site.R build/src build/site
	bash tests/site/browser.sh build/site

bench:
	$(PY) bench/accuracy.py --with-keras
	$(PY) bench/input_gain.py
	$(PY) bench/speed.py

clean:
	rm -rf build runs .pytest_cache
