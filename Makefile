# Every target that runs code first makes the virtual environment itself.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install test demo examples bench lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# one worker per core (pytest-xdist): the suite takes about 12 CPU-minutes
test: $(STAMP)
	$(PY) -m pytest -n auto

demo: $(STAMP)
	$(PY) examples/tour.py

# run from build/examples, so the pictures they write (PNG, SVG) land there
examples: $(STAMP)
	mkdir -p build/examples
	for f in examples/*.py; do echo "== $$f"; (cd build/examples && $(abspath $(PY)) $(CURDIR)/$$f) || exit 1; done

bench: $(STAMP)
	$(PY) bench/run.py

lint: $(STAMP)
	$(PY) -m ruff check srcgrad tests examples bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
