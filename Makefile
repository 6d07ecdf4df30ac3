# Entry points for people and CI. Every target that runs project code installs first (idempotent and
# fast when everything is there: see infra/install.sh).
SHELL := /bin/bash
PARTITIONS ?= 6
# Processes per service, in one consumer group each: Kafka splits the partitions between them.
REPLICAS ?= 2
RUN_DIR ?= .run
PY := .venv/bin/python
# Upper bound for the whole suite (CI allows 90 min); pytest-timeout bounds each test (pyproject).
TEST_TIMEOUT_S ?= 2400

.PHONY: install demo test up down status bench

install:
	bash infra/install.sh

demo: install
	.venv/bin/scribestream demo

# pytest exits 5 when it collects no test: that is a failure too (a suite that ran nothing proves nothing).
test: install
	@rc=0; timeout -k 30 $(TEST_TIMEOUT_S) .venv/bin/pytest -q $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: no tests collected"; fi; \
	exit $$rc

up: install
	$(PY) -m scribestream.devstack up --services --run-dir $(RUN_DIR) --partitions $(PARTITIONS) --replicas $(REPLICAS)

# Stops exactly the PIDs recorded in $(RUN_DIR)/stack.json; needs only the standard library.
down:
	@if [ -f $(RUN_DIR)/stack.json ]; then \
	  $$( [ -x $(PY) ] && echo $(PY) || echo python3 ) -m scribestream.devstack down --run-dir $(RUN_DIR); \
	else echo "no stack recorded in $(RUN_DIR)"; fi

status:
	$(PY) -m scribestream.devstack status --run-dir $(RUN_DIR)

bench: install
	@shopt -s nullglob; scripts=(bench/*.py); \
	if [ $${#scripts[@]} -eq 0 ]; then echo "no bench scripts in bench/"; exit 0; fi; \
	for s in "$${scripts[@]}"; do echo "== $$s"; $(PY) "$$s" || exit $$?; done
