# Beacon: `make run` to try it, `make test` to check everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
BEACON := $(BIN)/beacon

.PHONY: run test install install-dev lint types checks pytest clean bench bench-faults bench-crawl \
	bench-fanout bench-batch bench-edge bench-exports bench-outcomes

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

# The pipeline's benchmarks (issue 14), each on its own; figures in docs/performance.md.
bench-fanout: install-dev
	$(BIN)/python -m benchmarks.fanout --responses 10000 $(BENCH_ARGS)
bench-batch: install-dev
	$(BIN)/python -m benchmarks.batch_ingest --items 100000 $(BENCH_ARGS)
bench-edge: install-dev
	$(BIN)/python -m benchmarks.ingest_edge $(BENCH_ARGS)
	$(BIN)/python -m benchmarks.ingest_edge --django $(BENCH_ARGS)

# Exports of 1,000,000 rows per format (time, peak memory) and outcomes at 1M customers /
# 10M outcome events (ingest, the worker's money run, the read): long runs.
bench-exports: install-dev
	$(BIN)/python -m benchmarks.exports --rows 1000000 $(BENCH_ARGS)
bench-outcomes: install-dev
	$(BIN)/python -m benchmarks.outcomes --customers 1000000 --events 10 $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var

# Every staff page and API GET of an organisation of CRAWL_RESPONSES responses, crawled
# through the real server (benchmarks/crawl.py); results in benchmarks/results/crawl-*.json.
CRAWL_RESPONSES ?= 1000000
bench-crawl: install-dev
	$(BIN)/python -m benchmarks.crawl --responses $(CRAWL_RESPONSES) $(BENCH_ARGS)
