"""Shared fixtures: the generated stand-in body model and a real BodyModel on it, and
several processes doing one thing at once."""

import multiprocessing
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


@pytest.fixture
def at_once():
    """``at_once(work, processes=3)``: run ``work()`` in that many forked processes released
    together by a barrier; their exit codes (0 = returned, 1 = raised)."""
    def run(work, processes: int = 3) -> list[int]:
        ctx = multiprocessing.get_context("fork")
        barrier = ctx.Barrier(processes)

        def released():
            barrier.wait()
            work()

        procs = [ctx.Process(target=released) for _ in range(processes)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=120)
        return [p.exitcode for p in procs]
    return run
