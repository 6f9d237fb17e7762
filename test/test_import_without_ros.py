"""The library outside fhmr_ros/ros (and the commands that are not ROS commands) imports in a
clean interpreter where ROS cannot be found; the runtime path loads no training code."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = r"""
import importlib, pkgutil, sys

class NoRos:
    ROS = ("rclpy", "rosidl", "rcl_interfaces", "builtin_interfaces", "std_msgs",
           "geometry_msgs", "sensor_msgs", "nav_msgs", "visualization_msgs", "diagnostic_msgs")
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.ROS or name.startswith("fhmr_ros.msg"):
            raise ImportError(f"blocked ROS import: {name}")
        return None

sys.meta_path.insert(0, NoRos())
# the commands that talk to ROS (fhmr-bag, fhmr-bench node's driver, the node demo)
ROS_COMMANDS = ("fhmr_ros.tools.bag", "fhmr_ros.tools.node_bench", "fhmr_ros.tools.node_demo")
import fhmr_ros
names = []
for info in pkgutil.walk_packages(fhmr_ros.__path__, "fhmr_ros."):
    if info.name.startswith(("fhmr_ros.ros", "fhmr_ros.msg")) or info.name in ROS_COMMANDS:
        continue
    importlib.import_module(info.name)
    names.append(info.name)
print(len(names), " ".join(sorted(names)))
"""


def test_library_imports_without_ros():
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}  # no ROS paths, no sourcing
    out = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r})\n" + SCRIPT],
                         capture_output=True, text=True, env=env, cwd="/", timeout=120)
    assert out.returncode == 0, out.stderr
    count, names = out.stdout.split(" ", 1)
    for module in ("fhmr_ros.body.body_model", "fhmr_ros.body.standin_model",
                   "fhmr_ros.geometry.rotations", "fhmr_ros.geometry.trajectory"):
        assert module in names.split()


def test_the_runtime_path_loads_no_training_data_or_tool_code():
    """Perception -> streaming -> model inference, as the node runs it, without ROS."""
    code = ("import sys\n"
            "import fhmr_ros.streaming.runtime_builder, fhmr_ros.model.checkpoint\n"
            "import fhmr_ros.perception.movenet_blazepose_detector\n"
            "print(' '.join(m for m in sys.modules if m.startswith('fhmr_ros.')))")
    out = subprocess.run([sys.executable, "-I", "-c",
                          f"import sys; sys.path.insert(0, {str(ROOT)!r})\n" + code],
                         capture_output=True, text=True, cwd="/", timeout=120,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    loaded = out.stdout.split()
    assert "fhmr_ros.streaming.engine" in loaded
    assert not [m for m in loaded if m.startswith(("fhmr_ros.data", "fhmr_ros.evaluation",
                                                   "fhmr_ros.training", "fhmr_ros.tools"))], loaded
