# heritage-routes — two commands for a fresh machine:
#   make run    create .venv, install, build the artifacts if missing, start the Streamlit app
#   make test   create .venv, install, lint (ruff, mypy) and run the test suite
# A Python >= 3.12 is found by scripts/find-python (PATH, pyenv's versions, system paths);
# `make test PYTHON=/path/to/python3.12` picks one explicitly.
PYTHON ?=
PY     := $(shell PYTHON='$(PYTHON)' scripts/find-python)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8501

.PHONY: run test lint install clean bench artifacts

$(BIN)/python:
	@test -n "$(PY)" || { PYTHON='$(PYTHON)' scripts/find-python; exit 1; }
	@if [ -d $(VENV) ]; then echo "recreating $(VENV) with $(PY)"; rm -rf $(VENV); fi
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# A .venv left by an older Python (< 3.12) is rebuilt.
ifneq ($(wildcard $(BIN)/python),)
ifneq ($(shell $(BIN)/python -c 'import sys; print(int(sys.version_info >= (3, 12)))' 2>/dev/null),1)
$(shell rm -rf $(VENV))
endif
endif

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# The app's data: the NLP pipeline on the embedded sample corpus, then the knowledge graph, then
# a new visitor's first page (planner/ui/snapshot.py), then the code's bytecode (a new server
# process does not compile it again, even with PYTHONDONTWRITEBYTECODE set). Each reuses what
# is already built when its inputs are unchanged (seconds after the first run).
artifacts: $(STAMP)
	$(BIN)/heritage nlp run
	$(BIN)/heritage kg build
	$(BIN)/python -m planner.ui.snapshot
	$(BIN)/python -m compileall -q common kg nlp routing planner

run: artifacts
	$(BIN)/streamlit run app.py --server.port $(PORT) --server.headless true --browser.gatherUsageStats false

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -n auto --dist loadfile

bench: $(STAMP)
	$(BIN)/python benchmarks/tsp.py --data ../shared/benchmarks/tsplib --out docs/benchmarks.md
	$(BIN)/python benchmarks/optw.py --data ../shared/benchmarks/orienteering --sets optw,op --out docs/benchmarks.md

clean:
	rm -rf $(VENV) artifacts .pytest_cache .ruff_cache
