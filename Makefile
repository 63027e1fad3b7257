# Two commands do all the set-up on a fresh machine with Python 3.11 and make:
#   make demo   fetch through a vendor sandbox over HTTP into demo/socialtap.sqlite
#   make test   run every test (core, plugins, wrappers)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PLUGIN_DIRS := $(sort $(dir $(wildcard plugins/*/pyproject.toml)))
EDITABLES := -e ./core[testing,redis] -e ./tests/example_plugin $(foreach d,$(PLUGIN_DIRS),-e ./$(d))
DEV_TOOLS := "pytest>=8" "hypothesis>=6.100" "ruff>=0.6"
STAMP := $(VENV)/.installed

.PHONY: install demo test lint bench clean redis-server install-airflow install-n8n install-n8n-node test-airflow test-n8n docs-n8n-screenshot install-warehouse test-warehouse

$(STAMP): core/pyproject.toml tests/example_plugin/pyproject.toml $(wildcard plugins/*/pyproject.toml) Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet $(EDITABLES) $(DEV_TOOLS)
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/python scripts/demo.py

test: install redis-server
	$(BIN)/python -m pytest -q
	$(MAKE) --no-print-directory test-airflow test-n8n test-warehouse

# The Redis rate-limit tests start a real redis-server on 127.0.0.1; install it from the
# distribution's packages when absent (as root, or with sudo), else those tests skip.
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else SUDO=none; fi; \
	  if [ "$$SUDO" != none ] && command -v apt-get >/dev/null 2>&1; then \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq redis-server >/dev/null \
	      || echo "warning: could not install redis-server; the Redis tests will skip"; \
	  else echo "warning: redis-server not found and cannot be installed here; the Redis tests will skip"; fi; }

lint: install
	$(BIN)/ruff check .

# The peers bench/run.py compares against (dlt, Singer SDK, Airbyte CDK) live in their own
# virtualenvs in the dev cache, never in .venv (scripts/install_bench.sh).
bench: install
	SOCIALTAP_DEV_CACHE=$(DEV_CACHE) PYTHON=$(PYTHON) sh scripts/install_bench.sh >/dev/null
	SOCIALTAP_DEV_CACHE=$(DEV_CACHE) $(BIN)/python bench/run.py
	$(BIN)/python bench/sandbox_start.py

clean:
	rm -rf $(VENV) demo build

# Heavy test tools live in a cache outside the clone, keyed by version, so a fresh clone on
# the same machine reuses them: Airflow in its own virtualenv (never in .venv: `make demo`
# stays small), Node 24 + n8n from the npm registry (cold: ~5-10 min, ~3 GB).
DEV_CACHE ?= $(or $(SOCIALTAP_DEV_CACHE),$(or $(XDG_CACHE_HOME),$(HOME)/.cache)/socialtap-dev)
AIRFLOW_VERSION ?= 3.3.2
N8N_VERSION ?= 2.41.1
DLT_VERSION ?= 1.31.0
TARGET_JSONL_VERSION ?= 0.1.4
AIRFLOW_VENV := $(DEV_CACHE)/airflow-$(AIRFLOW_VERSION)
N8N_BIN := $(DEV_CACHE)/n8n-$(N8N_VERSION)-node24/bin/n8n
WAREHOUSE_VENV := $(DEV_CACHE)/warehouse-dlt-$(DLT_VERSION)
SINGER_TARGET := $(DEV_CACHE)/target-jsonl-$(TARGET_JSONL_VERSION)/bin/target-jsonl

install-airflow:
	SOCIALTAP_DEV_CACHE=$(DEV_CACHE) AIRFLOW_VERSION=$(AIRFLOW_VERSION) PYTHON=$(PYTHON) sh scripts/install_airflow.sh

# dlt + DuckDB (with this clone's core and plugins) and a real Singer target, each in a venv of its own.
install-warehouse:
	SOCIALTAP_DEV_CACHE=$(DEV_CACHE) DLT_VERSION=$(DLT_VERSION) TARGET_JSONL_VERSION=$(TARGET_JSONL_VERSION) PYTHON=$(PYTHON) sh scripts/install_warehouse.sh

install-n8n:
	SOCIALTAP_DEV_CACHE=$(DEV_CACHE) N8N_VERSION=$(N8N_VERSION) sh scripts/install_n8n.sh

# A separate pytest run with the Airflow venv's python: the fast suite never imports Airflow.
test-airflow: install-airflow
	SOCIALTAP_AIRFLOW_TESTS=1 $(AIRFLOW_VENV)/bin/python -m pytest -q tests/airflow

# The community node (integrations/n8n/node) is linted and built with n8n's tooling first;
# its node_modules is cached beside n8n, keyed by its lockfile.
install-n8n-node: install-n8n
	SOCIALTAP_DEV_CACHE=$(DEV_CACHE) N8N_VERSION=$(N8N_VERSION) sh scripts/build_n8n_node.sh

# docs/n8n-node.png: the node in n8n's editor, shot with headless Chromium (Debian's chromium,
# installed as redis-server is; Playwright in the dev cache drives it, never downloading a browser).
PLAYWRIGHT_VERSION ?= 1.65.2
PLAYWRIGHT_VENV := $(DEV_CACHE)/playwright-$(PLAYWRIGHT_VERSION)
docs-n8n-screenshot: install install-n8n-node
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }
	test -x $(PLAYWRIGHT_VENV)/bin/python || { $(PYTHON) -m venv $(PLAYWRIGHT_VENV) && \
	  $(PLAYWRIGHT_VENV)/bin/python -m pip install --quiet "playwright==$(PLAYWRIGHT_VERSION)"; }
	PYTHONPATH=$$($(PLAYWRIGHT_VENV)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])') \
	  SOCIALTAP_N8N=$(N8N_BIN) $(BIN)/python scripts/n8n_screenshot.py docs/n8n-node.png

test-n8n: install install-n8n install-n8n-node
	SOCIALTAP_N8N=$(N8N_BIN) SOCIALTAP_N8N_NODE=$(CURDIR)/integrations/n8n/node $(BIN)/python -m pytest -q tests/n8n

# The dlt source into DuckDB and the Singer output into target-jsonl (~15 s warm): the fast
# suite never imports dlt, so these run with the warehouse venv's python.
test-warehouse: install-warehouse
	SOCIALTAP_WAREHOUSE_TESTS=1 SOCIALTAP_SINGER_TARGET=$(SINGER_TARGET) $(WAREHOUSE_VENV)/bin/python -m pytest -q tests/warehouse
