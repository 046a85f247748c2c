# The two entry points (see README):
#   make book   set up, render every notebook at its published profile from the run store (training only
#               the runs the store lacks), collect the claims ledger, build the HTML book
#   make test   set up, unit tests, nbval of every notebook at its smoke defaults, book build -W
# Set-up is idempotent: a local virtualenv (.venv), pinned requirements, simaug in editable
# mode, the Korean fonts (Debian packages, as root), and CIFAR-10 imported from ../shared.

SHELL := /bin/bash
PY := .venv/bin/python
SHARED ?= ../shared
FONT_PACKAGES := fonts-nanum fonts-nanum-extra fonts-unfonts-core fonts-unfonts-extra fonts-baekmuk fonts-alee fonts-lexi-gulim fonts-lexi-saebom fonts-noto-cjk fontconfig

.PHONY: book test setup check-data fonts data unit nbval ledger build-book run-published bench clean-book

book: setup run-published build-book

test: setup unit nbval build-book

setup: check-data .venv/.installed fonts data

.venv/.installed: requirements.txt pyproject.toml | check-data
	test -x $(PY) || python3 -m venv .venv
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

fonts:
	@missing=$$(for p in $(FONT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "Korean fonts: all packages present"; \
	elif [ "$$(id -u)" = 0 ]; then echo "installing $$missing"; \
	  apt-get install -y -qq $$missing >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq $$missing >/dev/null); \
	else echo "missing Debian font packages: $$missing; run: sudo apt-get install $$missing" >&2; exit 1; fi

# CIFAR-10 comes from $(SHARED)/datasets/cifar10-jpeg.zip or, without it, from a copy already imported
# into the data root ($$SIMAUG_DATA, else $$XDG_CACHE_HOME/simaug or ~/.cache/simaug). check-data runs
# before the virtualenv install, so a missing archive fails in a second, not after the install.
SHARED_ZIP = $(abspath $(SHARED))/datasets/cifar10-jpeg.zip
KEPT_CIFAR10 = root="$${SIMAUG_DATA:-$${XDG_CACHE_HOME:-$$HOME/.cache}/simaug}"; root="$${root/\#\~/$$HOME}"; \
	kept=""; for f in "$$root/archives/cifar10-jpeg.zip" "$$root/archives/cifar-10-python.tar.gz"; do \
	  [ -f "$$f" ] && kept="$$f" && break; done

check-data:
	@$(KEPT_CIFAR10); \
	if [ -f "$(SHARED_ZIP)" ]; then echo "CIFAR-10: $(SHARED_ZIP)"; \
	elif [ -n "$$kept" ]; then echo "CIFAR-10: no $(SHARED_ZIP); using the copy already imported, $$kept"; \
	else echo "error: CIFAR-10 not found: no $(SHARED_ZIP) (SHARED=$(SHARED)) and none imported under $$root/archives." >&2; \
	  echo "Point SHARED at the folder that holds datasets/cifar10-jpeg.zip: make $(or $(MAKECMDGOALS),test) SHARED=/path/to/shared" >&2; \
	  exit 1; fi

data: .venv/.installed
	@$(KEPT_CIFAR10); \
	if [ -f "$(SHARED_ZIP)" ]; then $(PY) -m simaug data import cifar10 "$(SHARED_ZIP)"; \
	else echo "verifying the imported $$kept (no import: $(SHARED_ZIP) is absent)"; \
	  $(PY) -m simaug data import cifar10 "$$kept"; fi

unit:
	$(PY) -m pytest -q tests

# nbval executes each notebook as committed (smoke defaults); its runs go to runs/scratch/, cleared first so
# that nbval always trains for real
nbval:
	rm -rf runs/scratch
	$(PY) -m pytest -q -p no:cacheprovider --nbval-lax -o filterwarnings= --nbval-cell-timeout=900 notebooks

run-published:
	$(PY) -m simaug run all --profile published
	$(PY) -m simaug.report scrub

# results/claims/*.json (one file per chapter) -> results/claims.json and the ledger page book/claims.md
ledger:
	$(PY) -m simaug.report ledger

build-book: ledger
	rm -rf _build/html
	.venv/bin/jupyter-book build . -W --keep-going

bench: setup
	$(PY) -m simaug.bench train
	$(PY) -m simaug.bench augment
