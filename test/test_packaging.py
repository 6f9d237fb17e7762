"""`pip install .` in a scratch environment gives a working offline library: every declared
requirement is met by what the project installs, the commands exist, and the shipped
models are found from the installed package, away from the source tree."""

import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHECK = r"""
import importlib.metadata as md
from packaging.requirements import Requirement
unmet = []
for text in md.requires("fhmr_ros"):
    req = Requirement(text)
    if req.marker is not None and not req.marker.evaluate({"extra": ""}):
        continue                                  # an extra (mediapipe)
    try:
        version = md.version(req.name)
    except md.PackageNotFoundError:
        unmet.append(f"{req} (missing)")
        continue
    if version not in req.specifier:
        unmet.append(f"{req} (installed {version})")
print("UNMET", unmet)

import cv2
import fhmr_ros
from fhmr_ros.data.footage import read_image
from fhmr_ros.model.checkpoint import default_checkpoint, load_checkpoint
from fhmr_ros.perception.detection import make_detector
print("PACKAGE", fhmr_ros.__file__)
print("CHECKPOINT", default_checkpoint("lite"))
model = load_checkpoint(default_checkpoint("lite"))
people = make_detector("movenet_blazepose", threads=1).detect(read_image("messi5.jpg"))
print("PEOPLE", len(people), "WINDOW", model.cfg.window)
"""


def test_pip_install_gives_a_working_offline_library(tmp_path):
    scratch = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(scratch)], check=True)
    site = Path(subprocess.run(
        [str(scratch / "bin" / "python"), "-c", "import sysconfig; "
         "print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True,
        check=True).stdout.strip())
    # the dependencies (and pip, setuptools) come from the project's environment: offline
    (site / "project_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {"PATH": f"{scratch / 'bin'}:/usr/bin:/bin", "HOME": str(Path.home())}
    install = subprocess.run(
        [str(scratch / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps",
         "--no-build-isolation", "--no-index", str(ROOT)],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert install.returncode == 0, install.stderr
    for command in ("fhmr-train", "fhmr-eval", "fhmr-video", "fhmr-bag"):
        assert (scratch / "bin" / command).is_file(), command
    help_text = subprocess.run([str(scratch / "bin" / "fhmr-eval"), "--help"], env=env,
                               capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert help_text.returncode == 0 and "usage: fhmr-eval" in help_text.stdout
    out = subprocess.run([str(scratch / "bin" / "python"), "-c", CHECK], env=env,
                         capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines() if " " in line)
    assert lines["UNMET"] == "[]"
    assert lines["PACKAGE"].startswith(str(site))                    # not the source tree
    assert lines["CHECKPOINT"].startswith(str(scratch / "share" / "fhmr_ros" / "models"))
    assert lines["PEOPLE"].startswith("1 ")
