# Kunruyi — everything starts from here. Needs only python3 and make.
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
export UV_PROJECT_ENVIRONMENT := $(abspath $(VENV))
export UV_LINK_MODE := copy

.PHONY: install run test test-fast lint fmt bench bench-full token clean browser promtool

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed: $(UV) uv.lock pyproject.toml */pyproject.toml deploy/*/pyproject.toml clients/*/pyproject.toml
	$(UV) sync --frozen --all-packages --python $(PYTHON)
	@touch $@

install: $(VENV)/.installed

# Debian's chromium for the browser tests of the 昆e服 pages (skipped when it is already there).
# Debian's chromium for the page tests, and a CJK font so screenshots of the 昆e服 pages show Chinese, not boxes.
browser:
	@{ command -v chromium >/dev/null 2>&1 && fc-list :lang=zh 2>/dev/null | grep -q .; } || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null; }

# Debian's prometheus package: promtool for the rule tests (make test), and the server for make run OBSERVABILITY=1
# (skipped when both are already there).
promtool:
	@{ command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; } || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }

# make run OBSERVABILITY=1: also Prometheus against the apps' metrics ports, with the alert rules.
# make run REPLICAS=2: two processes of every service (replica i on port + 10·i), the gateway balancing over them.
run: install $(if $(OBSERVABILITY),promtool)
	$(PY) -m kunruyi_launcher run $(if $(OBSERVABILITY),--observability) $(if $(REPLICAS),--replicas $(REPLICAS))

test: install browser promtool
	$(PY) -m pytest -q -ra

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy common/kunruyi_common gateway/kunruyi_gateway svc-policy/kunruyi_policy svc-talent/kunruyi_talent svc-disbursement/kunruyi_disbursement svc-matching/kunruyi_matching deploy/launcher/kunruyi_launcher deploy/emulators/kunruyi_emulators clients/python/kunruyi_client

fmt: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) bench/run_all.py

bench-full: install
	$(PY) bench/run_all.py --full

token: install
	$(PY) -m kunruyi_gateway token --role $(ROLE) --dept "$(DEPT)"

clean:
	rm -rf var test-artifacts
