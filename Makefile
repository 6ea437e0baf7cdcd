# Two entry points: `make demo` and `make test`. Both install what is missing first.
PY ?= python3.11
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEBS := gcc-arm-none-eabi libnewlib-arm-none-eabi qemu-system-arm
DEMO_OUT := build/demo-v1-0.25-m7
VWW := ../shared/models/vww_96_int8.tflite
PERSON_OUT := build/person-netduino2plus

.PHONY: demo test deps python-deps system-deps bench clean

demo: deps
	$(VENV)/bin/mnc compile --variant v1-0.25 --target cortex-m7 -o $(DEMO_OUT)
	$(VENV)/bin/mnc run $(DEMO_OUT) --target cortex-m7
	# Person detection on a board: a photograph baked into PlatformIO firmware, run on QEMU's Netduino Plus 2.
	$(VPY) examples/person_detection/photo_input.py astronaut build/astronaut.npy
	$(VENV)/bin/mnc compile $(VWW) --board netduino2plus --input build/astronaut.npy --labels no_person,person -o $(PERSON_OUT)
	$(VENV)/bin/mnc flash $(PERSON_OUT) --env qemu_netduinoplus2 --monitor --check

test: deps
	$(VENV)/bin/lint-imports
	$(VPY) -m pytest -q -n 2 tests

bench: deps
	$(VPY) bench/run_all.py

deps: system-deps python-deps

python-deps: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null || { echo "error: $(PY) not found (install python3.11 and python3.11-venv)"; exit 1; }
	test -x $(VPY) || $(PY) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

system-deps:
	@bash scripts/ensure-debs.sh $(DEBS)

clean:
	rm -rf build $(VENV)
