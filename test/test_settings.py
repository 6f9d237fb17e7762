"""Each node parameter is written once (fhmr_ros/streaming/settings.py): every copy — the
params file, the parameter reference, the launch arguments, the README table, the offline
commands' and the engine's defaults — is generated from it or agrees with it."""

import ast
import re
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from fhmr_ros.perception.blazepose_landmarks import NETWORKS
from fhmr_ros.streaming.engine import StreamingConfig
from fhmr_ros.streaming.settings import (OFFLINE_DIFFERENCES, SPECS, NodeSettings, defaults,
                                         settings_from_overrides)
from fhmr_ros.tools import bench, evaluate, settings_files, video

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("rel", sorted(settings_files.FILES))
def test_generated_files_are_current(rel):
    """config/fhmr.yaml and docs/parameters.md are what the settings give (regenerate with
    `python -m fhmr_ros.tools.settings_files`)."""
    assert (ROOT / rel).read_text() == settings_files.FILES[rel](), (
        f"{rel} is stale: run python -m fhmr_ros.tools.settings_files")


def test_params_file_holds_every_default():
    params = yaml.safe_load((ROOT / "config" / "fhmr.yaml").read_text())
    params = params["fhmr_node"]["ros__parameters"]
    assert list(params) == [f.name for f in fields(NodeSettings)]
    for name, default in defaults().items():
        expected = list(default) if isinstance(default, tuple) else default
        assert params[name] == expected and type(params[name]) is type(expected), name


def test_launch_arguments_come_from_the_settings():
    """The launch file (launch_ros is not installed here: read as source) declares node
    parameters only through the settings, never with a literal default of its own."""
    tree = ast.parse((ROOT / "launch" / "fhmr.launch.py").read_text())
    names = next(node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
                 and getattr(node.targets[0], "id", "") == "NODE_ARGUMENTS")
    arguments = ast.literal_eval(names)
    assert set(arguments) <= set(SPECS) and "device" in arguments
    literal = [call.args[0].value for call in ast.walk(tree) if isinstance(call, ast.Call)
               and getattr(call.func, "id", "") == "DeclareLaunchArgument"
               and call.args and isinstance(call.args[0], ast.Constant)]
    assert not set(literal) & set(SPECS), literal


def test_readme_parameter_table_agrees():
    """Rows of README tables that name a parameter in backticks give its default."""
    rows = re.findall(r"^\| `(\w+)` \| `([^`]*)` \|", (ROOT / "README.md").read_text(), re.M)
    shown = {name: value for name, value in rows if name in SPECS}
    assert len(shown) >= 5, rows
    for name, value in shown.items():
        assert value == settings_files.yaml_value(defaults()[name]), name


def test_offline_commands_take_the_node_defaults():
    node = defaults()
    v = video.parse_args(["x.avi", "--out", "o"])
    differs = OFFLINE_DIFFERENCES["fhmr-video"]
    assert (v.stride, v.lag) == (differs["stride"], differs["lag"])
    assert (v.detector, v.landmarks, v.device) == (node["detector"], node["landmarks"],
                                                   node["device"])
    assert (v.camera_pitch, v.camera_height) == (None, None)        # estimated
    settings = video.video_settings(v)
    for name, value in node.items():
        want = differs.get(name, value)
        if name not in ("use_odometry", "checkpoint", "body_model_path", "steps"):
            assert getattr(settings, name) == want, name
    e = evaluate.parse_args(["--streaming"])
    assert (e.stride, e.lag, e.known_frames) == (node["stride"], node["lag"],
                                                 node["known_frames"])
    assert bench.parse_args(["model"]).stride == node["stride"]
    engine = StreamingConfig()
    for name in ("stride", "lag", "max_gap_s", "known_frames", "hypotheses", "align_root"):
        assert getattr(engine, name) == node[name], name


def test_bad_values_are_refused_naming_the_parameter():
    assert NETWORKS == SPECS["landmarks"].choices
    for overrides, words in [({"stride": 0}, "stride must be >= 1"),
                             ({"odom_wait_s": 0.0}, "odom_wait_s must be > 0"),
                             ({"input": "video"}, "input must be one of image, keypoints"),
                             ({"device": "gpu"}, "device must be cpu, cuda or cuda:N"),
                             ({"camera_extrinsics": [1.0, 2.0]}, "7 numbers"),
                             ({"strid": 8}, "unknown parameter 'strid'"),
                             ({"lag": "4"}, "lag must be int")]:
        with pytest.raises(ValueError, match=re.escape(words)):
            settings_from_overrides(overrides)
    assert settings_from_overrides({"max_gap_s": 1}).max_gap_s == 1.0
