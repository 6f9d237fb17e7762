#!/usr/bin/env bash
# Creates (or updates) the project's virtual environment and builds the package's messages.
#
#   scripts/setup_env.sh [VENV_DIR]
#
# VENV_DIR defaults to $FHMR_VENV, else ~/.cache/fhmr_ros/venv. It must lie outside the
# source tree: CMake refuses exported include paths (NumPy's, inside the venv) that sit in
# the source directory.
#
# Idempotent: pip skips what is installed, colcon rebuilds only what changed.
# What it does, in order:
#   1. python3 -m venv, pip install torch==2.13.0 (the local CPU wheel), requirements*.txt
#   2. rewrites the /opt/python/cp311-cp311 paths baked into the ROS wheels' exported CMake
#      files so that they name this interpreter's include dir and NumPy's include dir
#   3. colcon build of this package (messages + Python library) into ./install, with the
#      tf2_msgs stand-in and ROS4HRI's hri_msgs of scripts/ros_shims where the environment
#      has neither
#   4. real footage for the demo and tests (scripts/fetch_footage.sh: Debian's opencv-doc)
#      and MediaPipe's multi-person pose bundle, built from the wheel's own model files
#   5. an editable install of this package (setup.cfg, --no-deps): the fhmr-* commands in
#      VENV/bin, running the source tree; the ROS ones (fhmr-player, fhmr-bag) after
#      `source scripts/ros_env.sh`
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
venv="$(realpath -m "${1:-${FHMR_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/fhmr_ros/venv}}")"
case "$venv/" in "$here/"*) echo "[setup] $venv is inside the source tree; put it elsewhere" >&2; exit 2 ;; esac
py="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
  echo "[setup] creating virtual environment $venv"
  "$py" -m venv "$venv"
fi
pip() {  # quiet install; drops the noise of file:// indexes this machine's pip.conf names
  "$venv/bin/python" -m pip install --disable-pip-version-check -q "$@" 2> >(grep -v 'is ignored: it is neither' >&2)
}
echo "[setup] installing Python packages (torch, ROS 2 Jazzy wheels, library deps)"
pip torch==2.13.0
if "$venv/bin/python" -m pip show -q opencv-python-headless > /dev/null 2>&1; then
  # an older environment of this project: the contrib build replaces it (both own cv2)
  "$venv/bin/python" -m pip uninstall -y -q opencv-python-headless
fi
pip -r "$here/requirements-ros.txt" -r "$here/requirements.txt"
pip --no-deps -r "$here/requirements-nodeps.txt"

echo "[setup] pointing the ROS wheels' CMake exports at this interpreter"
py_inc="$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')"
np_inc="$("$venv/bin/python" -c 'import numpy; print(numpy.get_include())')"
{ grep -rlZ --include='*.cmake' '/opt/python/cp311-cp311' "$venv/share" 2>/dev/null || true; } \
  | xargs -0 -r sed -i \
      -e "s#/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include#${np_inc}#g" \
      -e "s#/opt/python/cp311-cp311/include/python3.11#${py_inc}#g"

echo "[setup] colcon build (messages + library)"
paths=("$here")
for shim in tf2_msgs hri_msgs; do      # PyPI has neither: build them from scripts/ros_shims
  if ! "$venv/bin/python" -c "import $shim" > /dev/null 2>&1; then
    paths+=("$here/scripts/ros_shims/$shim")
  fi
done
# shellcheck disable=SC1091
source "$here/scripts/ros_env.sh" "$venv"
cd "$here"
mkdir -p "$here/log"
colcon --log-base "$here/log" build --paths "${paths[@]}" \
  --build-base "$here/build" --install-base "$here/install" \
  --symlink-install --event-handlers console_direct- \
  --cmake-args -DPython3_EXECUTABLE="$venv/bin/python" -DBUILD_TESTING=OFF > "$here/log/colcon_build.txt" 2>&1 \
  || { tail -n 60 "$here/log/colcon_build.txt"; echo "[setup] colcon build failed (full log: log/colcon_build.txt)"; exit 1; }
bash "$here/scripts/fetch_footage.sh"
"$venv/bin/python" -m fhmr_ros.perception.pose_bundle
echo "[setup] the fhmr-* commands (editable install of setup.cfg's package)"
pip --no-deps --no-build-isolation -e "$here" > /dev/null
echo "[setup] done: source scripts/ros_env.sh to use it in a shell"
