"""pip-installable library for machines without ROS (training, evaluation, offline use).

On ROS 2 the package is built with colcon (ament_cmake, see CMakeLists.txt), which also
generates the messages; this file is not used there. `pip install .` installs the library
without its ROS part (fhmr_ros.ros needs rclpy and the generated messages).
"""

from setuptools import find_packages, setup

setup(
    name="fhmr_ros",
    version="0.1.0",
    description="FactorizedHMR two-stage video human mesh recovery (library part of fhmr_ros)",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=find_packages(include=["fhmr_ros", "fhmr_ros.*"], exclude=["fhmr_ros.ros*"]),
    install_requires=["numpy", "scipy", "torch", "smplx", "roma", "opencv-python-headless",
                      "tqdm"],
    entry_points={"console_scripts": [
        "fhmr-make-standin=fhmr_ros.tools.make_standin:main",
        "fhmr-train=fhmr_ros.tools.train:main",
        "fhmr-infer=fhmr_ros.tools.infer:main",
        "fhmr-eval=fhmr_ros.tools.evaluate:main",
        "fhmr-bench=fhmr_ros.tools.bench:main",
        "fhmr-video=fhmr_ros.tools.video:main",
        "fhmr-player=fhmr_ros.tools.player:main",
    ]},
)
