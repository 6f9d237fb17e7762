"""Launch fhmr_node (and optionally RViz).

    ros2 launch fhmr_ros fhmr.launch.py camera:=/camera/color odom:=/odom \
        world_frame:=odom device:=cuda preset:=full rviz:=true

Arguments: camera (namespace of image + camera_info), image / camera_info / odom topics,
params_file, namespace, rviz, and the node parameters of NODE_ARGUMENTS (image_transport,
world_frame, camera_frame, device, preset, autostart), whose defaults and descriptions come
from the one settings table, fhmr_ros/streaming/settings.py (docs/parameters.md).
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue

from fhmr_ros.streaming.settings import SPECS, defaults

# node parameters that are also launch arguments
NODE_ARGUMENTS = ("image_transport", "world_frame", "camera_frame", "device", "preset",
                  "autostart")


def parameter_argument(name: str) -> DeclareLaunchArgument:
    """A launch argument for node parameter ``name``, default and description from the
    settings."""
    default = defaults()[name]
    text = str(default).lower() if isinstance(default, bool) else str(default)
    return DeclareLaunchArgument(name, default_value=text, description=SPECS[name].description)


def generate_launch_description() -> LaunchDescription:
    share = get_package_share_directory("fhmr_ros")
    arg = LaunchConfiguration
    args = [
        DeclareLaunchArgument("namespace", default_value="", description="node namespace"),
        DeclareLaunchArgument("camera", default_value="/camera",
                              description="namespace of the image and camera_info topics"),
        DeclareLaunchArgument("image", default_value=[arg("camera"), "/image"],
                              description="image topic (raw; compressed: <image>/compressed)"),
        DeclareLaunchArgument("camera_info", default_value=[arg("camera"), "/camera_info"],
                              description="camera_info topic"),
        DeclareLaunchArgument("odom", default_value="/odom", description="odometry topic"),
        DeclareLaunchArgument("params_file",
                              default_value=os.path.join(share, "config", "fhmr.yaml"),
                              description="node parameters (YAML)"),
        DeclareLaunchArgument("rviz", default_value="false", description="start RViz"),
    ] + [parameter_argument(name) for name in NODE_ARGUMENTS]
    node = Node(
        package="fhmr_ros", executable="fhmr_node", name="fhmr_node",
        namespace=arg("namespace"), output="screen",
        parameters=[arg("params_file"), {
            name: ParameterValue(arg(name), value_type=type(defaults()[name]))
            for name in NODE_ARGUMENTS}],
        remappings=[("image", arg("image")),
                    ("image/compressed", [arg("image"), "/compressed"]),
                    ("camera_info", arg("camera_info")), ("odom", arg("odom"))])
    rviz = Node(
        package="rviz2", executable="rviz2", name="rviz2", output="screen",
        arguments=["-d", os.path.join(share, "config", "fhmr.rviz")],
        condition=IfCondition(arg("rviz")))
    return LaunchDescription(args + [node, rviz])
