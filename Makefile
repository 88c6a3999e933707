# monomig: the two commands a newcomer needs are `make demo` and `make test`.
# Only cargo and python3 are assumed; everything else is installed here.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
TESTENV := build/testenv
WHEEL_DIR := dist

# pytest-xdist workers. Many tests wait on child processes, database servers and
# locks rather than the CPU, so 4 workers beat 2 on a 2-core machine; `make test
# PYTEST_WORKERS=0` runs the suite in one process.
PYTEST_WORKERS ?= 4
# What a wheel is built from: a change to any of these rebuilds it in `make test-fast`.
WHEEL_INPUTS := $(shell find src python -type f -not -name '*.pyc' 2>/dev/null) \
	Cargo.toml Cargo.lock build.rs pyproject.toml README.md

# pytest against the wheel installed in $(TESTENV), from tests/ (never the source tree).
# Exit status 5 (no test collected) fails like any other.
define run_pytest
	cd tests && PATH="$(CURDIR)/$(TESTENV)/bin:$$PATH" ../$(TESTENV)/bin/python -m pytest \
		-p no:cacheprovider -n $(PYTEST_WORKERS) --dist worksteal --durations=25 $(1) $(PYTEST_ARGS); \
	status=$$?; \
	if [ $$status -eq 5 ]; then echo "make: pytest collected no tests (exit 5): that is a failure" >&2; fi; \
	exit $$status
endef

.PHONY: demo test test-fast test-alembic-matrix test-alembic-oldest wheel venv cargo-test pytest bench bench-full lint lint-python lint-rust clean

# Each long step of `make demo` says what it does and how long it may take before it
# starts (tests/test_demo.py keeps a snapshot of these lines); pip and cargo then show
# their own progress instead of minutes of silence.
PROGRESS := @echo "==>"

# The development virtualenv, with the pinned tools (maturin, alembic, pytest, ruff, mypy, ...).
$(VENV)/.stamp: requirements-dev.txt
	$(PROGRESS) "creating the virtualenv $(VENV)"
	$(PYTHON) -m venv $(VENV)
	$(PROGRESS) "installing the pinned tools into $(VENV) (maturin, Alembic, pytest, ...; a minute or two on a fresh machine)"
	$(PIP) install --progress-bar off --upgrade pip
	$(PIP) install --progress-bar off -r requirements-dev.txt
	touch $@

venv: $(VENV)/.stamp

# One abi3 wheel (CPython 3.10+), release build.
wheel: venv
	$(PROGRESS) "building monomig's wheel (release build of the Rust core: several minutes on a fresh machine, seconds after)"
	rm -rf $(WHEEL_DIR)
	$(VENV)/bin/maturin build --release --out $(WHEEL_DIR)
	touch $(WHEEL_DIR)/.built

# The wheel again only when something it is built from changed (test-fast, lint).
$(WHEEL_DIR)/.built: $(VENV)/.stamp $(WHEEL_INPUTS)
	rm -rf $(WHEEL_DIR)
	$(VENV)/bin/maturin build --release --quiet --out $(WHEEL_DIR)
	touch $@

# Build and install monomig, then upgrade both demo services on SQLite and show their state.
demo: wheel
	$(PROGRESS) "installing the wheel into $(VENV)"
	$(PIP) install --quiet --force-reinstall --no-deps $(WHEEL_DIR)/monomig-*.whl
	$(PROGRESS) "running the demo (scripts/demo.py): check, status, upgrade --all, status on SQLite"
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) scripts/demo.py

# Every test: cargo test for the core, then pytest against the wheel installed
# into a fresh virtualenv (never the source tree), in parallel workers.
test: wheel cargo-test
	rm -rf $(TESTENV)
	$(PYTHON) -m venv $(TESTENV)
	$(TESTENV)/bin/pip install --quiet -r requirements-dev.txt
	$(TESTENV)/bin/pip install --quiet --no-deps $(WHEEL_DIR)/monomig-*.whl
	touch $(TESTENV)/.stamp $(TESTENV)/.wheel
	$(MAKE) --no-print-directory test-alembic-oldest
	$(call run_pytest,)

# The inner loop: no cargo test, the `slow` tests left out, the wheel rebuilt only
# when its sources changed and the test virtualenv kept between runs.
# `make test-fast PYTEST_ARGS=test_check.py` runs one file.
test-fast: $(TESTENV)/.wheel
	$(call run_pytest,-m "not slow")

# The differential suites (graph vs RevisionMap, bridge vs stock command sequences,
# the command line's output) against the newest patch of every older supported
# Alembic minor, each in a virtualenv built once per machine under
# ~/.cache/monomig/alembic-matrix (scripts/alembic_matrix.py; docs/alembic-versions.md).
# `make test` runs everything on the pinned release. MATRIX_VERSIONS=1.13,1.16 and
# MATRIX_SUITES="test_bridge.py" narrow it; PYTEST_ARGS is passed on.
MATRIX_VERSIONS ?= 1.13,1.14,1.15,1.16,1.17,1.18,1.19
MATRIX_SUITES ?= test_graph_diff.py test_graph_cases.py test_plan_diff.py test_bridge.py \
	test_bridge_api.py test_bridge_e2e.py test_bridge_lock.py test_cli_alembic.py test_cli_fast.py \
	test_alembic_range.py test_config_differential.py test_config_versions.py test_cli_spec.py
test-alembic-matrix: $(WHEEL_DIR)/.built
	$(PY) scripts/alembic_matrix.py --versions $(MATRIX_VERSIONS) --wheel $(wildcard $(WHEEL_DIR)/monomig-*.whl) \
		-- -n $(PYTEST_WORKERS) $(MATRIX_SUITES) $(PYTEST_ARGS)

# The part of the matrix `make test` runs: the oldest supported minor, one quick
# differential suite (the full matrix is `make test-alembic-matrix`).
OLDEST_SUITES := test_plan_diff.py
test-alembic-oldest: $(WHEEL_DIR)/.built
	$(PY) scripts/alembic_matrix.py --versions 1.13 --wheel $(wildcard $(WHEEL_DIR)/monomig-*.whl) \
		-- -n $(PYTEST_WORKERS) -q $(OLDEST_SUITES)

$(TESTENV)/.stamp: requirements-dev.txt
	rm -rf $(TESTENV)
	$(PYTHON) -m venv $(TESTENV)
	$(TESTENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

$(TESTENV)/.wheel: $(TESTENV)/.stamp $(WHEEL_DIR)/.built
	$(TESTENV)/bin/pip install --quiet --force-reinstall --no-deps $(WHEEL_DIR)/monomig-*.whl
	touch $@

cargo-test:
	# --release reuses the dependencies `make wheel` just compiled (sqlx, tokio, SQLite).
	cargo test --release --quiet

# ruff check and ruff format --check (python/, tests/, bench/, scripts/; [tool.ruff] in pyproject.toml), mypy on
# python/monomig ([tool.mypy]), stubtest of the compiled module against its stub
# (python/monomig/_native.pyi; stubtest-allowlist.txt for what a stub cannot say),
# clippy and rustfmt. Every step runs, so one report lists every finding.
lint:
	@status=0; \
	$(MAKE) --no-print-directory lint-python || status=1; \
	$(MAKE) --no-print-directory lint-rust || status=1; \
	exit $$status

lint-python: $(WHEEL_DIR)/.built
	$(PIP) install --quiet --force-reinstall --no-deps $(WHEEL_DIR)/monomig-*.whl
	@status=0; \
	echo "ruff check python tests bench scripts"; $(VENV)/bin/ruff check python tests bench scripts || status=1; \
	echo "ruff format --check python tests bench scripts"; \
	$(VENV)/bin/ruff format --check python tests bench scripts || status=1; \
	echo "mypy (python/monomig)"; $(PY) -m mypy || status=1; \
	echo "stubtest monomig._native"; \
	$(PY) -m mypy.stubtest monomig._native --allowlist stubtest-allowlist.txt || status=1; \
	exit $$status

lint-rust:
	@status=0; \
	echo "cargo fmt --check"; cargo fmt --check || status=1; \
	echo "cargo clippy --all-targets --features python -- -D warnings"; \
	cargo clippy --quiet --all-targets --features python -- -D warnings || status=1; \
	exit $$status

bench: wheel
	$(PIP) install --quiet --force-reinstall --no-deps $(WHEEL_DIR)/monomig-*.whl
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) bench/run.py $(BENCH_ARGS)

# Every row, with the long ones (20,000 and 50,000 revisions, 1,000 services): an hour or more.
bench-full: wheel
	$(PIP) install --quiet --force-reinstall --no-deps $(WHEEL_DIR)/monomig-*.whl
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) bench/run.py --full $(BENCH_ARGS)

clean:
	rm -rf target $(WHEEL_DIR) build $(VENV) var
