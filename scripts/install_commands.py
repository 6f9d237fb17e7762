"""Writes the fhmr-* commands declared in setup.cfg ([options.entry_points]
console_scripts) into a folder, for a ROS workspace's install/fhmr_ros/bin (called by
CMakeLists.txt at install time; pip writes the same commands for a venv).

    python3 scripts/install_commands.py BIN_DIR [PYTHON]
"""

import configparser
import os
import sys
from pathlib import Path

TEMPLATE = """#!{python}
# {name}: written by scripts/install_commands.py from setup.cfg
import sys

from {module} import {function}

sys.exit({function}())
"""


def commands(setup_cfg: Path) -> dict[str, str]:
    """name -> "module:function" of every console script setup.cfg declares."""
    cfg = configparser.ConfigParser()
    cfg.read(setup_cfg)
    lines = cfg["options.entry_points"]["console_scripts"].strip().splitlines()
    return dict((part.strip() for part in line.split("=", 1)) for line in lines)


def main() -> int:
    out = Path(sys.argv[1])
    python = sys.argv[2] if len(sys.argv) > 2 else sys.executable
    out.mkdir(parents=True, exist_ok=True)
    for name, target in commands(Path(__file__).resolve().parents[1] / "setup.cfg").items():
        module, function = target.split(":")
        path = out / name
        path.write_text(TEMPLATE.format(python=python, name=name, module=module,
                                        function=function))
        os.chmod(path, 0o755)
    return 0


if __name__ == "__main__":
    sys.exit(main())
