"""Shared fixtures: the generated stand-in body model and a real BodyModel on it."""

import os

import pytest

# Keep DDS discovery on this machine and away from other ROS graphs.
os.environ.setdefault("ROS_AUTOMATIC_DISCOVERY_RANGE", "LOCALHOST")
os.environ.setdefault("ROS_DOMAIN_ID", str(100 + os.getpid() % 100))


@pytest.fixture(scope="session")
def standin_path(tmp_path_factory):
    from fhmr_ros.body.standin_model import write_standin_model

    return write_standin_model(tmp_path_factory.mktemp("body") / "smplx_standin.npz")


@pytest.fixture(scope="session")
def body_model(standin_path):
    from fhmr_ros.body.body_model import BodyModel

    return BodyModel(standin_path)
