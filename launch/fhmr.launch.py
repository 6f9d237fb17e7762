"""Launch fhmr_node (and optionally RViz).

    ros2 launch fhmr_ros fhmr.launch.py camera:=/camera/color odom:=/odom \
        world_frame:=odom device:=cuda preset:=full rviz:=true

Arguments: camera (namespace of image + camera_info), image / camera_info / odom topics,
image_transport, world_frame, camera_frame, device, preset, params_file, namespace,
autostart (false: the lifecycle node waits for a lifecycle manager), rviz.
"""

import os

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.conditions import IfCondition
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node
from launch_ros.parameter_descriptions import ParameterValue


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
        DeclareLaunchArgument("image_transport", default_value="raw",
                              description="raw or compressed"),
        DeclareLaunchArgument("world_frame", default_value="odom",
                              description="world frame of the outputs (odometry's frame)"),
        DeclareLaunchArgument("camera_frame", default_value="",
                              description="camera optical frame ('' = the image's frame_id)"),
        DeclareLaunchArgument("device", default_value="cpu", description="cpu, cuda, cuda:1"),
        DeclareLaunchArgument("preset", default_value="lite", description="lite or full"),
        DeclareLaunchArgument("params_file",
                              default_value=os.path.join(share, "config", "fhmr.yaml"),
                              description="node parameters (YAML)"),
        DeclareLaunchArgument("autostart", default_value="true",
                              description="configure and activate at start-up; false: "
                                          "wait for a lifecycle manager"),
        DeclareLaunchArgument("rviz", default_value="false", description="start RViz"),
    ]
    node = Node(
        package="fhmr_ros", executable="fhmr_node", name="fhmr_node",
        namespace=arg("namespace"), output="screen",
        parameters=[arg("params_file"), {
            "world_frame": arg("world_frame"), "camera_frame": arg("camera_frame"),
            "device": arg("device"), "preset": arg("preset"),
            "image_transport": arg("image_transport"),
            "autostart": ParameterValue(arg("autostart"), value_type=bool)}],
        remappings=[("image", arg("image")),
                    ("image/compressed", [arg("image"), "/compressed"]),
                    ("camera_info", arg("camera_info")), ("odom", arg("odom"))])
    rviz = Node(
        package="rviz2", executable="rviz2", name="rviz2", output="screen",
        arguments=["-d", os.path.join(share, "config", "fhmr.rviz")],
        condition=IfCondition(arg("rviz")))
    return LaunchDescription(args + [node, rviz])
