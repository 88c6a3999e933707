# monomig: the two commands a newcomer needs are `make demo` and `make test`.
# Only cargo and python3 are assumed; everything else is installed here.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
TESTENV := build/testenv
WHEEL_DIR := dist

.PHONY: demo test wheel venv cargo-test pytest bench clean

# The development virtualenv, with the pinned tools (maturin, alembic, pytest, ...).
$(VENV)/.stamp: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.stamp

# One abi3 wheel (CPython 3.10+), release build.
wheel: venv
	rm -rf $(WHEEL_DIR)
	$(VENV)/bin/maturin build --release --quiet --out $(WHEEL_DIR)

# Build and install monomig, then upgrade both demo services on SQLite and show their state.
demo: wheel
	$(PIP) install --quiet --force-reinstall --no-deps $(WHEEL_DIR)/monomig-*.whl
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) scripts/demo.py

# Every test: cargo test for the core, then pytest against the wheel installed
# into a fresh virtualenv (never the source tree).
test: wheel cargo-test
	rm -rf $(TESTENV)
	$(PYTHON) -m venv $(TESTENV)
	$(TESTENV)/bin/pip install --quiet -r requirements-dev.txt
	$(TESTENV)/bin/pip install --quiet --no-deps $(WHEEL_DIR)/monomig-*.whl
	cd tests && PATH="$(CURDIR)/$(TESTENV)/bin:$$PATH" ../$(TESTENV)/bin/python -m pytest -p no:cacheprovider --durations=25 $(PYTEST_ARGS)

cargo-test:
	# --release reuses the dependencies `make wheel` just compiled (sqlx, tokio, SQLite).
	cargo test --release --quiet

bench: wheel
	$(PIP) install --quiet --force-reinstall --no-deps $(WHEEL_DIR)/monomig-*.whl
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf target $(WHEEL_DIR) build $(VENV) var
