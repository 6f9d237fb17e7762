# fhmr_ros — the two commands: `make demo` (main job on the embedded default) and `make test`.
# Both run `make setup` first, which creates .venv, installs every pinned dependency and
# builds the package's messages with colcon (idempotent; ~1 min on a fresh machine).
SHELL := /bin/bash
VENV ?= .venv
RUN := source scripts/ros_env.sh $(VENV) &&

.PHONY: setup test demo clean

setup:
	bash scripts/setup_env.sh $(VENV)

test: setup
	$(RUN) pytest

demo: setup
	$(RUN) python -m fhmr_ros.tools.foundation_demo --out artifacts/demo

clean:
	rm -rf build install log artifacts .pytest_cache
