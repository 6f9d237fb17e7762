# fhmr_ros — the two commands: `make demo` (main job on the embedded default) and `make test`.
# Both run `make setup` first, which creates the virtual environment (default
# ~/.cache/fhmr_ros/venv, or VENV=... / $FHMR_VENV; it must lie outside the source tree),
# installs every pinned dependency and builds the messages with colcon (idempotent).
SHELL := /bin/bash
VENV ?=
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
