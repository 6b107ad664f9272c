# formcheck: two commands on a fresh Debian/Ubuntu machine with Python >= 3.11
#   make run    set everything up and start the app (http://127.0.0.1:8501)
#   make test   set everything up and run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: run test setup setup-test analyze-sample eval bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ".[test,synth]"
	touch $@

setup:
	scripts/system-deps.sh run
	$(MAKE) --no-print-directory $(VENV)/.installed

setup-test:
	scripts/system-deps.sh test
	$(MAKE) --no-print-directory $(VENV)/.installed

run: setup
	$(BIN)/formcheck app

test: setup-test
	$(BIN)/python -m pytest -q -p no:cacheprovider

analyze-sample: setup
	$(BIN)/formcheck analyze sample_videos/bridge_side_physiocore.mp4 --exercise bridge

eval: setup
	$(BIN)/formcheck eval sample_videos

bench: setup
	$(BIN)/formcheck bench sample_videos/bridge_side_physiocore.mp4

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
