"""Make the kinematic Unitree G1 model fhmr-export --robot g1 retargets onto, from the
published MJCF (BSD-3-Clause, Unitree Robotics; MuJoCo Menagerie's unitree_g1/g1.xml as
extended with OpenPose BODY_25 sites in fcomlop/mujoco_humanoids, commit
41ee089084868edae933ceafad2a2b3f9ac09d06):

    python scripts/g1_kinematics.py PATH/TO/unitree_g1/g1.xml fhmr_ros/robots/unitree_g1/

Kept unchanged: every body, joint (axes, ranges), inertial, site, the foot contact spheres,
the actuators and the stand keyframe. Removed: the mesh assets and the geoms that draw
them (IK needs no meshes; they are 39 MB). The licence goes next to the result. Run once;
the output is committed (GitHub is not reachable where the package is installed).
"""

import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def strip_meshes(source: Path, target: Path) -> None:
    tree = ET.parse(source)
    root = tree.getroot()
    root.find("compiler").attrib.pop("meshdir", None)
    asset = root.find("asset")
    for mesh in asset.findall("mesh"):
        asset.remove(mesh)
    for parent in root.iter():
        for geom in [g for g in parent.findall("geom") if "mesh" in g.attrib]:
            parent.remove(geom)
    for default in root.iter("default"):
        if default.get("class") in ("visual", "collision"):
            for geom in default.findall("geom"):
                geom.attrib.pop("type", None)
    ET.indent(tree)
    tree.write(target, encoding="unicode")


if __name__ == "__main__":
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    strip_meshes(src, out / "g1_kinematics.xml")
    shutil.copy(src.parent / "LICENSE", out / "LICENSE")
    print(f"wrote {out / 'g1_kinematics.xml'} and {out / 'LICENSE'}")
