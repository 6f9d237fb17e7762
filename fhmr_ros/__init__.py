"""fhmr_ros: FactorizedHMR (two-stage video human mesh recovery) for ROS 2.

The library below ``fhmr_ros.ros`` imports without ROS. The generated message package
``fhmr_ros.msg`` is installed by colcon into the *installed* copy of this folder; when the
source tree comes first on sys.path (running from the repository root), ``extend_path``
lets ``fhmr_ros.msg`` still resolve to the installed one. Nothing else happens on import.
"""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
__version__ = "0.1.0"
