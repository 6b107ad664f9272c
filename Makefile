# formcheck: two commands on a fresh Debian/Ubuntu machine with Python >= 3.11
#   make run    set everything up and start the app (http://127.0.0.1:8501)
#   make test   set everything up and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test lint lock setup setup-test analyze-sample eval bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# formcheck itself is installed editable, its dependencies at the exact versions of
# constraints.txt (pyproject.toml only gives ranges). make run needs the app extra; make test
# also the test tools (pytest, ruff, mypy) and the synthetic clip generator.
$(VENV)/.installed-run: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e ".[app]"
	touch $@

$(VENV)/.installed-test: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install -q -c constraints.txt -e ".[app,test,synth]"
	touch $@ $(VENV)/.installed-run

setup:
	scripts/system-deps.sh run
	$(MAKE) --no-print-directory $(VENV)/.installed-run

setup-test:
	scripts/system-deps.sh test
	$(MAKE) --no-print-directory $(VENV)/.installed-test

run: setup
	$(BIN)/formcheck app

test: setup-test
	$(MAKE) --no-print-directory lint
	$(BIN)/python -m pytest -q -p no:cacheprovider --durations=25

# quality gates (configured in pyproject.toml): lint, formatting, types
lint:
	$(BIN)/ruff check formcheck exercises tests scripts app.py
	$(BIN)/ruff format --check formcheck exercises tests scripts app.py
	$(BIN)/mypy

# after a deliberate upgrade in the venv: write the versions it holds to constraints.txt
lock:
	{ sed -n '1,3p' constraints.txt; $(BIN)/pip freeze --all | grep -v -E '^(-e |# Editable|formcheck|pip==)'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt

analyze-sample: setup
	$(BIN)/formcheck analyze sample_videos/bridge_side_physiocore.mp4 --exercise bridge

eval: setup
	$(BIN)/formcheck eval sample_videos

bench: setup
	$(BIN)/formcheck bench sample_videos/bridge_side_physiocore.mp4

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
