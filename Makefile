# Two commands that work on a fresh machine with Python 3.11 and make:
#   make run   — set up .venv, build graphs/ from corpus/, print where the outputs are
#   make test  — set up .venv, run the whole test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup bench bench-view selfcheck clean

run: setup
	$(BIN)/xunshi build corpus --out graphs

# Two processes (pytest-xdist): the suite is CPU-bound and the tests are independent (each
# writes under its own tmp_path); TEST_JOBS=0 runs it in one process.
TEST_JOBS ?= 2

test: setup
	$(BIN)/python -m pytest -q -n $(TEST_JOBS)

setup: $(STAMP)

# --copies: a venv whose python is a real file, so tools that re-exec into .venv/bin/python
# (../shared/tools/selfcheck) can tell it from the base interpreter.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv --copies $(VENV)
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $(STAMP)

bench: setup
	$(BIN)/python bench/bench_scale.py --n 250 --n 1000 --incremental

bench-view: setup
	$(BIN)/python bench/bench_view.py

selfcheck: setup
	$(BIN)/python ../shared/tools/selfcheck graphs

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache
