# Every target bootstraps its own virtualenv from requirements.txt (exact pins) on first use.
# Bytecode caches stay on even where the environment turns them off: the suites start many Python
# processes (servers, nested pytest runs), and recompiling every module in each costs a quarter of make test.
unexport PYTHONDONTWRITEBYTECODE
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha256sum requirements.txt | cut -c1-16)
BENCH_STAMP := $(VENV)/.bench-$(shell sha256sum bench/requirements.txt | cut -c1-16)
JOBS ?= 0
# make test uses both cores by default (TEST_JOBS=0 runs it serially).
TEST_JOBS ?= 2
TAGS ?=
PYTEST_ARGS ?=

.PHONY: venv test conformance cleanup rehearse serve bench steps translations lint clean

venv: $(STAMP)

$(STAMP): requirements.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@rm -f $(VENV)/.installed-* && touch $@

# Every test: unit tests, API tests and the Gherkin suite (the benchmarks' smoke test needs the bench pins).
test: $(STAMP) $(BENCH_STAMP)
	$(BIN)/python -m pytest -q $(if $(filter-out 0,$(TEST_JOBS)),-n $(TEST_JOBS) --dist loadgroup) $(PYTEST_ARGS)

# The conformance suite (Gherkin scenarios) against the built-in fakes, with reports under reports/
# (junit.xml, cucumber.json, summary.md, summary.html, transcripts/). Vendor mode: TARGET_URL=…
# TARGET_TOKEN=… [TARGET_CA=…] [TARGET_DOMAIN=…] [TARGET_ROLE=…] [DIALECT=legacy|aadOptscim062020|both]
# runs the @target scenarios against that SCIM server (read from the environment by fixtures/target.py).
conformance: $(STAMP)
	@mkdir -p reports
	$(BIN)/python -m pytest steps -q $(if $(filter-out 0,$(JOBS)),-n $(JOBS)) \
		$(if $(TAGS),-m "$(TAGS)") \
		--junitxml=reports/junit.xml --cucumberjson=reports/cucumber.json --report-dir=reports $(PYTEST_ARGS)

# Removes the leftovers of an interrupted vendor run from a SCIM server: RUN_ID=… TARGET_URL=… TARGET_TOKEN=…
# [TARGET_CA=…]; only users and groups that carry the run's prefix cf-<RUN_ID>- are deleted.
cleanup: $(STAMP)
	$(BIN)/python -m simulator cleanup --run-id "$(RUN_ID)" --target-url "$(TARGET_URL)" --token "$(TARGET_TOKEN)" \
		$(if $(TARGET_CA),--ca "$(TARGET_CA)")

# Load rehearsal (SPEC §10): Entra's initial cycle, a day of incremental cycles and a mass unassignment
# against TARGET_URL/TARGET_TOKEN (vendor mode; default: the lab's GoToMeeting), report in reports/rehearsal/.
# USERS=… GROUPS=… CYCLES=… CONCURRENCY=… RATE=… [TARGET_CA=…] [REHEARSE_ARGS=…]
USERS ?= 10000
rehearse: $(STAMP)
	$(BIN)/python -m simulator rehearse --users "$(USERS)" $(if $(GROUPS),--groups "$(GROUPS)") \
		$(if $(CYCLES),--cycles "$(CYCLES)") $(if $(CONCURRENCY),--concurrency "$(CONCURRENCY)") \
		$(if $(RATE),--rate "$(RATE)") $(if $(TARGET_URL),--target-url "$(TARGET_URL)" --token "$(TARGET_TOKEN)") \
		$(if $(TARGET_CA),--ca "$(TARGET_CA)") $(REHEARSE_ARGS)

# The step catalogue docs/STEPS.md, generated from the step definitions.
steps: $(STAMP)
	$(BIN)/python -m simulator.tools.step_catalogue --out docs/STEPS.md

# Compiles the pages' message catalogues (simulator/translations/<catalogue>/<locale>/LC_MESSAGES/messages.po)
# to the .mo files the servers read; tests/test_translations.py fails when a .mo is stale or a text is untranslated.
translations: $(STAMP)
	@for dir in simulator/translations/*/; do $(BIN)/pybabel compile --statistics -d "$$dir" -D messages || exit 1; done

serve: $(STAMP)
	$(BIN)/python -m simulator serve $(SERVE_ARGS)

# Benchmarks (not tests): ratios against a ceiling measured in the same run, written to reports/bench.md
# and reports/bench.json. Bench-only pins (the scim2-server peer) come from bench/requirements.txt.
$(BENCH_STAMP): bench/requirements.txt $(STAMP)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -r bench/requirements.txt
	@rm -f $(VENV)/.bench-* && touch $@

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) reports .pytest_cache
