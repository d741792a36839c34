# The two commands a newcomer needs: `make demo` (the product, in a sandbox workspace) and
# `make test` (the tests). With a workspace of your own, `make run` serves the bot.
# Both create ./.venv on first use and reinstall when pyproject.toml changes.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo run test lint format install clean i18n-extract i18n-update i18n-compile i18n-check

$(STAMP): pyproject.toml
	@echo "Installing Quiet Hours and its test tools into $(VENV) (the first run takes a minute or two)..."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/quiet-hours demo

run: $(STAMP)
	$(BIN)/quiet-hours init
	$(BIN)/quiet-hours serve

test: $(STAMP)
	$(BIN)/python -m pytest -n 4

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Translations (README, Translations): the gettext catalogs in bot/i18n/locale/<lang>/LC_MESSAGES/.
# extract: the keys the code names -> bot/i18n/locale/messages.pot (not kept in git);
# update: add those keys to both messages.po (empty, to be written) and check;
# compile: the .mo statistics (the wheel's build compiles them itself); check: what is wrong.
i18n-extract: $(STAMP)
	$(BIN)/python -m bot.i18n.tooling extract

i18n-update: $(STAMP)
	$(BIN)/python -m bot.i18n.tooling update

i18n-compile: $(STAMP)
	$(BIN)/python -m bot.i18n.tooling compile

i18n-check: $(STAMP)
	$(BIN)/python -m bot.i18n.tooling check

clean:
	rm -rf $(VENV) build dist *.egg-info bot/i18n/locale/*.pot .pytest_cache .mypy_cache .ruff_cache .hypothesis
