# The two commands a newcomer needs: `make run` and `make test`. Everything else is for developers.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCALES := brug/locales
LANGS := ti ar fa_AF nl en

.PHONY: install run test lint i18n clean bench

$(BIN)/brug: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/brug

run: install
	$(BIN)/brug run

lint: install
	$(BIN)/ruff check brug tests benchmarks
	$(BIN)/ruff format --check brug tests benchmarks
	$(BIN)/mypy
	$(BIN)/brug flows check

test: lint
	$(BIN)/pytest

# Extract msgids from the code into the template, then merge them into every language's catalog.
i18n: install
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k NP_:1,2 --add-comments=Source: --sort-by-file \
		--project=Brug -o $(LOCALES)/messages.pot .
	for lang in $(LANGS); do \
		if [ -f $(LOCALES)/$$lang/LC_MESSAGES/messages.po ]; then \
			$(BIN)/pybabel update -i $(LOCALES)/messages.pot -d $(LOCALES) -l $$lang --no-fuzzy-matching; \
		else \
			$(BIN)/pybabel init -i $(LOCALES)/messages.pot -d $(LOCALES) -l $$lang; \
		fi; \
	done

# Load benchmark, Brug vs a bare python-telegram-bot echo bot (docs/performance.md). BENCH_ARGS=--quick for a
# short run; PostgreSQL runs need TEST_DATABASE_URL. Report and plot in benchmarks/results/.
bench: install
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m benchmarks.load --profile $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
