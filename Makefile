# One entry point for the course. `make help` lists the targets.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
JOBS ?=
PYTEST_ARGS ?=
# The suite runs on two workers (pytest-xdist); tests/conftest.py keeps each file, and the graded course, on one.
TEST_WORKERS ?= 2

.PHONY: help setup system-packages demo test release sync fixtures clean-notebooks autograde report serve clean-demo

help:
	@echo "make demo             release, autograde the example class in demo/, feedback, grade table"
	@echo "make test             ruff, then the whole test suite"
	@echo "make release          regenerate release/ from source/ (after editing a source notebook)"
	@echo "make sync             copy shipped files (gradecheck/, nbgrader_config.py, backprop.csv) into source/"
	@echo "make fixtures         regenerate the fixture notebooks in tests/fixtures/ from tests/support/catalogs.py"
	@echo "make clean-notebooks  strip outputs and editor metadata from source notebooks"
	@echo "make autograde        autograde every submission in submitted/, with a status per student"
	@echo "make report           class reports and CSV exports in reports/"
	@echo "make serve            grade each submission as it arrives in the exchange; release its feedback"
	@echo "make setup            Debian packages (bubblewrap, chromium, postgresql) and .venv with the pinned dependencies"

$(INSTALLED): requirements.txt requirements-test.txt pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "the course pins Python 3.11, found " + sys.version'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --no-deps -r requirements.txt -r requirements-test.txt
	$(BIN)/pip check
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m backprop_course.grading.sandbox install
	touch $@

setup: system-packages $(INSTALLED)

system-packages:
	@bash scripts/system-packages.sh

demo: setup
	$(BIN)/python -m backprop_course demo --class tests/fixtures

test: setup
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope $(PYTEST_ARGS)

release: setup sync
	$(BIN)/python -m backprop_course release

sync: setup
	$(BIN)/python -m backprop_course sync

fixtures: setup
	cd tests && ../$(BIN)/python -m support.catalogs

clean-notebooks: setup
	$(BIN)/python -m backprop_course clean-notebooks

autograde: setup
	$(BIN)/python -m backprop_course autograde

report: setup
	$(BIN)/python -m backprop_course report

serve: setup
	$(BIN)/python -m backprop_course serve

clean-demo:
	rm -rf demo
