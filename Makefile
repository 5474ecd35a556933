# Quick start: `make portal` builds the demo portal, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: portal test test-shifted serve benchmark clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The demo city is built as of its own date (tools/demo_history.py DEMO_NOW), so every state shows
# whatever today's date is; see content/README.md.
portal: $(STAMP)
	$(PY) tools/demo_history.py
	PUBLISHER_NOW="$$($(PY) tools/demo_history.py --print-now)" $(VENV)/bin/publisher build
	@echo ""
	@echo "示范市门户已生成于 output/ · The demo portal is in output/."
	@echo "查看 / To view:  $(PY) -m http.server --directory output 8000   then open http://127.0.0.1:8000/"

test: $(STAMP)
	@bash tools/test-setup.sh
	@$(PY) -m pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest: no tests collected"; rc=0; fi; exit $$rc

# The suite without the browser tests, with the system clock moved forward (libfaketime): a test
# that passes only while the calendar says so fails here the day it is written. CI runs it.
# The monotonic clock is shifted too: with FAKETIME_DONT_FAKE_MONOTONIC=1, libfaketime 0.9.10 makes
# Python's time.sleep fail with EINVAL (clock_nanosleep), which is not a fault of the code under test.
SHIFTS ?= +400d +3650d
test-shifted: $(STAMP)
	@bash tools/test-setup.sh
	@command -v faketime >/dev/null || { echo "test-shifted needs faketime (apt-get install faketime)"; exit 2; }
	@for shift in $(SHIFTS); do \
	  echo "== the suite with the clock moved $$shift (browser tests left out) =="; \
	  faketime -f "$$shift" $(PY) -m pytest -q -m "not browser" -p no:cacheprovider; \
	  rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest: no tests collected"; rc=0; fi; \
	  [ $$rc -eq 0 ] || exit $$rc; \
	done

serve: portal
	$(PY) -m http.server --directory output 8000

benchmark: $(STAMP)
	$(PY) benchmarks/build_benchmark.py

clean:
	rm -rf output .pytest_cache
