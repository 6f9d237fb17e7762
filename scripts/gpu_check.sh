#!/usr/bin/env bash
# The one-command GPU check, for a machine with a CUDA GPU (e.g. the lent H200):
#
#   bash scripts/gpu_check.sh [OUT_DIR]          (default: artifacts/gpu_check)
#
# Prepare it on the development machine first (the GPU machine has no network):
#   bash scripts/gpu_check.sh --prepare          -> .gpu_carry/ (git-ignored): wheels of the
#                                                   pure-Python packages the GPU machine lacks
#                                                   (smplx, roma) and OpenCV's vtest.avi
# then run it there with .gpu_carry carried along. It expects python3 with CUDA torch,
# numpy, scipy, OpenCV, scikit-image and onnxruntime already installed (that machine's
# image has them), and runs, within ~10 minutes:
#   1. the CUDA tests (pytest -m cuda: model and streaming engine on the GPU vs the CPU,
#      the pose front-end on onnxruntime's CUDA provider where that onnxruntime has one)
#   2. fhmr-bench model --device cuda (lite and full presets)
#   3. fhmr-video on vtest.avi with --device cuda: the node's per-image path (detector,
#      tracker, streaming model) on the GPU, its per-stage times and frames per second
#   4. fhmr-train --device cuda (bf16) on the full preset for FHMR_GPU_TRAIN_MINUTES
#      (default 4): throughput in windows/s, and a resumable state + checkpoint in
#      OUT_DIR/train_full, brought back with OUT_DIR (continue it in the next GPU slot by
#      copying that folder back and running the same command)
# fhmr-bench node needs the ROS 2 wheels, which that machine lacks; step 3 measures the same
# per-image path without DDS. Everything it prints is also written to OUT_DIR/gpu_check.md.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
carry="$here/.gpu_carry"
if [ "${1:-}" = "--prepare" ]; then
  mkdir -p "$carry/wheels" "$carry/footage"
  python3 -m pip download --disable-pip-version-check -q --no-deps -d "$carry/wheels" \
    smplx==0.1.28 roma==1.8.0 2> >(grep -v 'is ignored' >&2)
  footage="${FHMR_FOOTAGE:-${XDG_CACHE_HOME:-$HOME/.cache}/fhmr_ros/footage}"
  [ -f "$footage/vtest.avi" ] || bash "$here/scripts/fetch_footage.sh"
  cp "$footage/vtest.avi" "$footage/basketball1.png" "$footage/basketball2.png" \
     "$footage/messi5.jpg" "$carry/footage/"
  du -sh "$carry"
  exit 0
fi
out="$(realpath -m "${1:-$here/artifacts/gpu_check}")"
mkdir -p "$out"
venv="${TMPDIR:-/tmp}/fhmr_gpu_venv"
python3 -m venv --system-site-packages "$venv"
"$venv/bin/python" -m pip install --disable-pip-version-check -q --no-index --no-deps \
  "$carry"/wheels/*.whl
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" FHMR_FOOTAGE="$carry/footage"
export PYTHONUNBUFFERED=1
py="$venv/bin/python"
cd "$here"
{
  echo "# gpu_check $(date -u +%FT%TZ)"
  "$py" -c "import torch, onnxruntime; print('torch', torch.__version__, torch.cuda.get_device_name(0)); print('onnxruntime', onnxruntime.__version__, onnxruntime.get_available_providers())"
  echo "## 1. CUDA tests"
  "$py" -m pytest -q -m cuda test/test_cuda.py -p no:cacheprovider
  echo "## 2. fhmr-bench model --device cuda"
  "$py" -m fhmr_ros.tools.bench model --device cuda --presets lite,medium,full --repeats 10
  echo "## 3. the per-image path on the GPU: fhmr-video vtest.avi --device cuda"
  "$py" -m fhmr_ros.tools.video "$carry/footage/vtest.avi" --out "$out/video" --device cuda \
    --max-frames 300 --camera-pitch 25 --camera-height 6 --no-mesh --pngs 0
  "$py" -c "import json, sys; s = json.load(open(sys.argv[1])); print(json.dumps({k: s[k] for k in ('frames', 'people_per_frame', 'timings_ms_per_frame', 'model_run_ms', 'model_runs', 'device')}, indent=1))" "$out/video/summary.json"
  echo "## 4. fhmr-train --preset full --device cuda (bf16), ${FHMR_GPU_TRAIN_MINUTES:-4} min"
  "$py" -m fhmr_ros.tools.train --preset full --device cuda --out "$out/train_full" \
    --stages stage1,stage2 --steps 20000 --batch-size 64 --procedural 200 --no-mocap \
    --max-minutes "${FHMR_GPU_TRAIN_MINUTES:-4}"
  tail -n 3 "$out/train_full/train_log.txt"
  rm -rf "$out/train_full/cache"                      # regenerated from the seed; keep it small
} 2>&1 | tee "$out/gpu_check.md"
