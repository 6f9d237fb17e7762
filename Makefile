# fhmr_ros — the two commands: `make demo` (main job on the embedded default) and `make test`.
# Both run `make setup` first, which creates the virtual environment (default
# ~/.cache/fhmr_ros/venv, or VENV=... / $FHMR_VENV; it must lie outside the source tree),
# installs every pinned dependency and builds the messages with colcon (idempotent).
SHELL := /bin/bash
VENV ?=
RUN := source scripts/ros_env.sh $(VENV) &&

.PHONY: setup test demo train eval ablation bench clean

setup:
	bash scripts/setup_env.sh $(VENV)

test: setup
	$(RUN) pytest

# The main job on real footage: fhmr-video on OpenCV's vtest.avi pedestrians (fetched from
# Debian's opencv-doc at set-up), then fhmr_node live on the same stream (player -> node ->
# recording + overlay), after the quick body-model and model demos; then both runs' people
# exported as AMASS npz, BVH and joint tables (fhmr-export).
DEMO_VIDEO_ARGS ?= --max-frames 150

demo: setup
	$(RUN) python -m fhmr_ros.tools.foundation_demo --out artifacts/demo && \
	  python -m fhmr_ros.tools.model_demo --out artifacts/demo && \
	  fhmr-video $${FHMR_FOOTAGE:-$${XDG_CACHE_HOME:-$$HOME/.cache}/fhmr_ros/footage}/vtest.avi \
	    --out artifacts/demo/video $(DEMO_VIDEO_ARGS) && \
	  python -m fhmr_ros.tools.node_demo --out artifacts/demo/node && \
	  fhmr-export artifacts/demo/video/results.npz --out artifacts/demo/export/video --robot g1 && \
	  fhmr-export artifacts/demo/node/recording.mcap --out artifacts/demo/export/node

# The lite checkpoint's recipe: stage 1 (20000 steps), stage 2 (stage 1 frozen; 90 % of its
# windows in GENMO's estimation mode, at flow time 0; 20000 steps), then the same-size
# baseline without temporal losses (20000 steps); on procedural motion plus the mocap
# train subjects (ReActIdle and CMU, each clip also mirrored; a CMU clip's windows drawn
# twice, ReActIdle's half as often as a procedural clip's of the same length) and the robot
# observation patterns and elevated views (docs/training.md; the run of 2026-12-07 added
# the elevated views at stage 1's step ~17000); network snapshots every 2500 steps (learning
# curves); resumable (re-run continues from artifacts/train/lite/*_state.pt;
# TRAIN_LIMIT="--max-minutes N" stops and saves after N minutes); two processes, one thread
# each (DistributedDataParallel on gloo: both cores). Once all three are done, the joint
# uncertainty is calibrated on validation (fhmr_ros/tools/calibrate.py) in the run's
# checkpoint; it is shipped by copying it to models/ once fhmr-eval says it is better.
TRAIN := OMP_NUM_THREADS=1 torchrun --standalone --nproc_per_node 2 -m fhmr_ros.tools.train \
  --preset lite --out artifacts/train/lite --steps 20000 --threads 1 --snapshot-every 2500 \
  --mocap-sets reactidle,cmu --mirror-mocap --mocap-weight cmu=2,reactidle=0.5 \
  --part-occlusion-prob 0.3 --furniture-prob 0.1 --long-dropout-prob 0.1 \
  --close-range-prob 0.15 --elevated-prob 0.15 --sparse-keypoints-prob 0.2 $(TRAIN_LIMIT)
train: setup
	$(RUN) $(TRAIN) --stages stage1,stage2 && \
	  $(TRAIN) --stages baseline --without temporal && \
	  python -m fhmr_ros.tools.calibrate artifacts/train/lite/fhmr_lite.pt

eval: setup
	$(RUN) fhmr-eval --out artifacts/eval

# What each ingredient gains: Stage 2 retrained without / with each one on the shipped
# Stage 1 (resumable), scored on the validation and test splits (artifacts/ablation/).
ablation: setup
	$(RUN) fhmr-ablation --out artifacts/ablation

bench: setup
	$(RUN) fhmr-bench model --presets lite,medium,full && fhmr-bench detector && fhmr-bench node

clean:
	rm -rf build install log artifacts .pytest_cache
