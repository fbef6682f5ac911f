# Beacon: `make run` to try it, `make test` to check everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BEACON := $(BIN)/beacon

.PHONY: run test install install-dev lint types checks pytest clean bench bench-faults

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

run: install
	$(BEACON) migrate --no-input
	$(BEACON) demo
	$(BEACON) run

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: install-dev
	$(BIN)/mypy beacon

checks: install-dev
	DJANGO_SETTINGS_MODULE=beacon.settings.test $(BEACON) makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=beacon.settings.test $(BEACON) openapi --check
	$(BIN)/lint-imports

pytest: install-dev
	scripts/ensure-chromium
	scripts/ensure-nginx
	scripts/ensure-xmlsec1
	scripts/run-suites

test: lint types checks pytest

# Benchmarks (minutes, not part of `make test`): results in benchmarks/results/.
# BENCH_SIZES=100000 for a quick run, 100000,1000000,10000000 for the full one (about an
# hour per database on 2 cores); PostgreSQL is skipped when it is not reachable.
# BENCH_ARGS passes more options, e.g. --keep /tmp/beacon-bench to measure the same data
# again later (see python -m benchmarks.run --help).
BENCH_SIZES ?= 100000,1000000
BENCH_ARGS ?=
bench: install-dev
	$(BIN)/python -m benchmarks.run --sizes $(BENCH_SIZES) $(BENCH_ARGS)
	@if [ -f benchmarks/insights_eval.py ]; then \
		$(BIN)/python benchmarks/insights_eval.py ../shared/data/feedback; \
	fi

# Fault benchmark (issue 14): responses posted while the web server and the worker are
# killed and the SMTP server is down; prints what was lost, duplicated and how late the case
# emails came. Quick by default (2,000 responses, durations x 0.25: about 10 minutes per
# database on a busy 2-core machine); FULL=1 runs the full plan (10,000 responses, a
# 3-minute SMTP outage). PostgreSQL at BENCH_POSTGRES_URL, Redis db 4 as its job queue.
# BENCH_FAULTS_ARGS passes more options (python -m benchmarks.faults --help).
BENCH_FAULTS_ARGS ?=
ifeq ($(FULL),1)
BENCH_FAULTS_SIZE := --responses 10000 --scale 1
else
BENCH_FAULTS_SIZE := --responses 2000 --scale 0.25
endif
bench-faults: install-dev
	$(BIN)/python -m benchmarks.faults $(BENCH_FAULTS_SIZE) $(BENCH_FAULTS_ARGS)

clean:
	rm -rf $(VENV) var
