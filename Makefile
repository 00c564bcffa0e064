# Two entry points (README quick start): `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
PIPQ   := $(PIP) install -q --disable-pip-version-check -c constraints.txt
OUT    ?= demo_out

.PHONY: setup demo test test-nbs test-py sync bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(PIPQ) --upgrade pip
	$(PIPQ) torch
	$(PIPQ) -e ".[dev]"
	touch $@

demo: setup
	$(BIN)/mdmoe demo --out $(OUT)

sync: setup
	tools/check_sync.sh $(BIN)

test-nbs: setup
	OMP_NUM_THREADS=1 $(BIN)/nbdev-test --n-workers 2

test-py: setup
	$(BIN)/pytest -q tests

test: sync test-nbs test-py

bench: setup
	$(BIN)/python bench/moe_dispatch.py

clean:
	rm -rf $(VENV) $(OUT) build dist *.egg-info
