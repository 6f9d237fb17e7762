# Source me: puts the project's venv, the ROS 2 wheels and the built package on the paths.
#   source scripts/ros_env.sh [VENV_DIR]   (default: $FHMR_VENV or ~/.cache/fhmr_ros/venv)
_fhmr_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_fhmr_venv="$(realpath -m "${1:-${FHMR_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/fhmr_ros/venv}}")"
export VIRTUAL_ENV="$_fhmr_venv"
export PATH="$_fhmr_venv/bin:$PATH"
export AMENT_PREFIX_PATH="$_fhmr_venv${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}"
export CMAKE_PREFIX_PATH="$_fhmr_venv${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
export RMW_IMPLEMENTATION="${RMW_IMPLEMENTATION:-rmw_fastrtps_cpp}"
if [ -f "$_fhmr_root/install/local_setup.bash" ]; then
  case $- in *u*) _fhmr_nounset=1; set +u ;; *) _fhmr_nounset= ;; esac  # colcon's script reads unset vars
  # shellcheck disable=SC1091
  source "$_fhmr_root/install/local_setup.bash"
  [ -n "$_fhmr_nounset" ] && set -u
  unset _fhmr_nounset
fi
# The source tree first: edits take effect without a rebuild; fhmr_ros/__init__.py's
# extend_path still finds the generated fhmr_ros.msg in install/.
export PYTHONPATH="$_fhmr_root${PYTHONPATH:+:$PYTHONPATH}"
unset _fhmr_root _fhmr_venv
