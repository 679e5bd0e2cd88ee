VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed

.PHONY: test demo install lint bench clean

$(STAMP): pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c constraints.txt -e '.[zoo,vis,test,bench]'
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -p no:cacheprovider

demo: $(STAMP)
	$(PY) -m vis demo --out runs/demo

lint: $(STAMP)
	$(PY) -m ruff check minigrad zoo vis bench tests

bench: $(STAMP)
	$(PY) -m bench.captioner

clean:
	rm -rf $(VENV) runs .pytest_cache
