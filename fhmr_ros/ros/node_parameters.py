"""fhmr_node's parameters in ROS: declarations with descriptors, read back as NodeSettings.

Every default, range, unit and description comes from fhmr_ros/streaming/settings.py.
"""

from __future__ import annotations

from dataclasses import fields

from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor
from rclpy.exceptions import ParameterException, ParameterUninitializedException
from rclpy.node import Node
from rclpy.parameter import Parameter

from ..streaming.settings import SPECS, NodeSettings, defaults

INT_MAX = 2 ** 31 - 1


def declare_parameters(node: Node) -> dict[str, str]:
    """Declare every parameter on ``node`` (defaults and descriptors from the settings).
    A value given at launch that its range or type refuses is replaced by the default and
    returned, name -> why, so that the node starts and configure reports it (a lifecycle
    node must stay up, unconfigured, until the value is fixed)."""
    refused = {}
    for f in fields(NodeSettings):
        default = f.default
        if isinstance(default, tuple):      # an empty list would be declared as bytes
            default = list(default) if default else Parameter.Type.DOUBLE_ARRAY
        try:
            node.declare_parameter(f.name, default, descriptor(f.name))
        except ParameterException as e:      # out of range, or of the wrong type
            refused[f.name] = str(e)
            node.declare_parameter(f.name, default, descriptor(f.name), ignore_override=True)
    return refused


def read_settings(node: Node) -> NodeSettings:
    """The declared parameters' current values as NodeSettings; ValueError naming the
    parameter for a value the node cannot run with."""
    values = {}
    for f in fields(NodeSettings):
        try:
            value = node.get_parameter(f.name).value
        except ParameterUninitializedException:   # declared by type only and left unset
            value = None
        values[f.name] = tuple(value or ()) if isinstance(f.default, tuple) else value
    return NodeSettings(**values)


def descriptor(name: str) -> ParameterDescriptor:
    """The parameter's description (with its unit), its range where it has one, and when
    it takes effect (``additional_constraints``): live, or read at configure."""
    s = SPECS[name]
    constraints = ["changes live" if s.live else
                   "read at configure: change it while the node is unconfigured"]
    if s.choices:
        constraints.append("one of " + ", ".join(s.choices))
    d = ParameterDescriptor(
        description=s.description + (f" [{s.unit}]" if s.unit else ""),
        additional_constraints="; ".join(constraints))
    is_float = isinstance(defaults()[name], float)
    if s.at_least is not None and not is_float:
        d.integer_range = [IntegerRange(from_value=int(s.at_least), to_value=INT_MAX, step=1)]
    elif s.at_least is not None or s.positive:
        d.floating_point_range = [FloatingPointRange(from_value=float(s.at_least or 0.0),
                                                     to_value=1e9, step=0.0)]
    return d
