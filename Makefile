# make demo   : the example site on SQLite with the gateway simulator (prints the admin login)
# make test   : the suite on SQLite and the local memory cache (creates .venv on first use)
# make test-services : the same suite on PostgreSQL and Redis on 127.0.0.1 (the concurrency runs)
# make lint   : ruff, mypy and the import contracts (lint-imports)
# make test-install : the README's and docs/integrations.md's install snippets, pasted into new sites
# make test-allauth-upstream : django-allauth's own phone tests against this app's adapter (network)
# make mutation : mutmut over the core rules, module by module; fails on a survivor docs/mutation.md
#                 does not list as equivalent (MUTATION_MODULES="django_voiceotp/codes.py ..." for some)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_STAMP := $(VENV)/.installed-demo
PYTEST_ARGS ?=
MUTATION_MODULES ?=
MUTATION_CHILDREN ?= 2
# The allauth integration's tests, on settings of their own (a second pytest run after the suite's).
# The integrations' suites run under settings of their own (their apps, middleware and URLs), which the
# rest of the suite must not see: a site without them is what shows the core needs none of them.
ALLAUTH_TESTS := tests/allauth --ds tests.allauth.settings
OTP_TESTS := tests/contrib --ds tests.contrib.settings
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check

.PHONY: demo test test-install test-allauth-upstream test-services lint format simulator bench mutation clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.10 or newer is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 10) else None'
	$(PYTHON) -m venv $(VENV)
	$(PIP) --upgrade pip

# The demo needs the example site's extras only; the tests and linters come with the test stamp.
$(DEMO_STAMP): pyproject.toml | $(BIN)/python
	$(PIP) -e ".[example]"
	touch $(DEMO_STAMP)

$(STAMP): pyproject.toml | $(BIN)/python
	$(PIP) -e ".[test,lint,example,postgres,redis,rq]"
	touch $(STAMP) $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/python -m example_project.demo

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	$(BIN)/python -m pytest $(ALLAUTH_TESTS) $(PYTEST_ARGS)
	$(BIN)/python -m pytest $(OTP_TESTS) $(PYTEST_ARGS)

# The README's install section, run as written in a new site, and docs/integrations.md's and
# docs/testing.md's snippets pasted on top of it in sites of their own, whose flows then run (builds
# venvs and wheels; ~2 min).
test-install: $(STAMP)
	VOICEOTP_TEST_INSTALL=1 $(BIN)/python -m pytest tests/docs/test_readme_install.py tests/docs/test_install_integrations.py $(PYTEST_ARGS)

# django-allauth's own phone tests (from its sdist, for the installed version) against this app's
# adapter, with the deviations docs/integrations.md explains expected to fail (~1 min, the network).
test-allauth-upstream: $(STAMP)
	.ci/allauth/run $(PYTEST_ARGS)

test-services: $(STAMP)
	VOICEOTP_TEST_POSTGRES=1 VOICEOTP_TEST_REDIS=1 $(BIN)/python -m pytest $(PYTEST_ARGS)
	VOICEOTP_TEST_POSTGRES=1 VOICEOTP_TEST_REDIS=1 $(BIN)/python -m pytest $(ALLAUTH_TESTS) $(PYTEST_ARGS)
	VOICEOTP_TEST_POSTGRES=1 VOICEOTP_TEST_REDIS=1 $(BIN)/python -m pytest $(OTP_TESTS) $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy django_voiceotp tests example_project benchmarks
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

simulator: $(STAMP)
	$(BIN)/python -m django_voiceotp.simulator

# make bench : throughput, latency, CPU per request, SQL per call and the poll rate, printed (benchmarks/, ~12 min).
# django-phone-verify pulls in phonenumberslite, which overwrites phonenumbers' files with its own
# build; phonenumbers is reinstalled over it at the version the project resolved.
bench: $(STAMP)
	$(BIN)/python -c 'import gunicorn, phone_verify' 2>/dev/null || { \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[bench]" && \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall \
	    "phonenumbers==$$($(BIN)/python -c 'import importlib.metadata as m; print(m.version("phonenumbers"))')"; }
	$(BIN)/python -m benchmarks

# mutmut copies the tree to mutants/ and keeps its results there: a second run retests only what
# changed. See docs/mutation.md for the time it takes and the equivalent mutants.
mutation: $(STAMP)
	$(BIN)/python -c 'import mutmut' 2>/dev/null || $(PIP) "mutmut>=3.8,<4"
	$(BIN)/python .ci/mutation.py --max-children $(MUTATION_CHILDREN) $(MUTATION_MODULES)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache build dist *.egg-info mutants
