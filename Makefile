# Two commands do all the set-up on a fresh machine with Python 3.11 and make:
#   make demo   fetch through a vendor sandbox over HTTP into demo/socialtap.sqlite
#   make test   run every test (core, plugins, wrappers)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PLUGIN_DIRS := $(sort $(dir $(wildcard plugins/*/pyproject.toml)))
EDITABLES := -e ./core[testing] -e ./tests/example_plugin $(foreach d,$(PLUGIN_DIRS),-e ./$(d))
DEV_TOOLS := "pytest>=8" "hypothesis>=6.100" "ruff>=0.6"
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench clean

$(STAMP): core/pyproject.toml tests/example_plugin/pyproject.toml $(wildcard plugins/*/pyproject.toml) Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet $(EDITABLES) $(DEV_TOOLS)
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/python scripts/demo.py

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) demo build
