"""`pip install .`: the library, its offline tools and the shipped models, from setup.cfg
(where the package and every command are declared). On ROS 2 the package is built with
colcon (ament_cmake, CMakeLists.txt), which also generates the messages."""

from setuptools import setup

setup()
