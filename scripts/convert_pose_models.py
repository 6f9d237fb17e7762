"""One-time conversion of TFJS graph models to ONNX (run by scripts/convert_pose_models.sh).

    python convert_pose_models.py MODEL.json OUT.onnx [OUTPUT ...]

A TFJS graph model is a TensorFlow GraphDef written as JSON (``modelTopology``) plus binary
weight shards (``weightsManifest``; weights quantised to float16 are widened back). The
graph is rebuilt as a GraphDef with the weights as constants, TFJS's fused kernels are
split back into TensorFlow ops (``_FusedConv2D`` / ``FusedDepthwiseConv2dNative`` =
convolution -> BiasAdd -> activation), and tf2onnx converts it. The ONNX file keeps large
float weights in float16 (the TFJS weights were float16 already, so nothing is lost) behind
a Cast that onnxruntime folds into float32 constants when it loads the model.

Naming some of the signature's outputs (e.g. ``ld_3d output_poseflag`` of BlazePose) keeps
only them and the part of the graph they need: onnxruntime computes every node of a graph
whatever outputs a call asks for, so BlazePose's unused segmentation mask, heatmaps and
world landmarks would otherwise cost more than half of its time.

Needs tensorflow-cpu, tf2onnx and onnx (the conversion venv of convert_pose_models.sh),
never the project's own environment.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnx
import tensorflow as tf
import tf2onnx
from google.protobuf import json_format
from onnx import helper, numpy_helper

OPSET = 17
ACTIVATIONS = {"Relu", "Relu6", "Elu", "Sigmoid", "Tanh", "LeakyRelu"}


def read_weights(model: dict, folder: Path) -> dict[str, np.ndarray]:
    """Every weight of the manifest by name, float16-quantised ones widened to float32."""
    weights = {}
    for group in model["weightsManifest"]:
        data = b"".join((folder / p).read_bytes() for p in group["paths"])
        offset = 0
        for w in group["weights"]:
            count = int(np.prod(w["shape"])) if w["shape"] else 1
            stored = np.dtype((w.get("quantization") or w)["dtype"])
            if "quantization" in w and "scale" in w["quantization"]:
                raise ValueError(f"{w['name']}: affine-quantised weights are not supported")
            arr = np.frombuffer(data, stored, count, offset).astype(w["dtype"])
            offset += count * stored.itemsize
            weights[w["name"]] = arr.reshape(w["shape"])
    return weights


def const_node(name: str, value: np.ndarray):
    return tf.compat.v1.NodeDef(name=name, op="Const", attr={
        "dtype": tf.compat.v1.AttrValue(type=tf.as_dtype(value.dtype).as_datatype_enum),
        "value": tf.compat.v1.AttrValue(tensor=tf.make_tensor_proto(value))})


def unfused(node) -> list:
    """A TFJS fused convolution as convolution -> BiasAdd -> activation nodes; the last one
    keeps the fused node's name so that its consumers still find it."""
    depthwise = node.op == "FusedDepthwiseConv2dNative"
    keys = ["T", "strides", "padding", "data_format", "dilations"]
    keys += [] if depthwise else ["use_cudnn_on_gpu", "explicit_paddings"]
    ops = [s.decode() for s in node.attr["fused_ops"].list.s]
    conv = tf.compat.v1.NodeDef(
        name=f"{node.name}/conv" if ops else node.name,
        op="DepthwiseConv2dNative" if depthwise else "Conv2D", input=list(node.input[:2]),
        attr={k: node.attr[k] for k in keys if k in node.attr})
    out, previous = [conv], conv.name
    for i, op in enumerate(ops):
        name = node.name if i == len(ops) - 1 else f"{node.name}/{op}"
        if op == "BiasAdd":
            n = tf.compat.v1.NodeDef(name=name, op=op, input=[previous, node.input[2]],
                                     attr={k: node.attr[k] for k in ("T", "data_format")})
        elif op in ACTIVATIONS:
            n = tf.compat.v1.NodeDef(name=name, op=op, input=[previous],
                                     attr={"T": node.attr["T"]})
            if op == "LeakyRelu":
                n.attr["alpha"].f = node.attr["leakyrelu_alpha"].f
        else:
            raise ValueError(f"{node.name}: fused op {op} is not supported")
        out.append(n)
        previous = name
    return out


def graph_def(model: dict, weights: dict[str, np.ndarray]):
    topology = model["modelTopology"]
    parsed = tf.compat.v1.GraphDef()
    json_format.ParseDict({"node": topology["node"], "versions": topology.get("versions", {})},
                          parsed)
    nodes = [const_node(name, value) for name, value in weights.items()]
    for node in parsed.node:
        if node.name in weights:              # a weight's placeholder entry
            continue
        node.ClearField("device")
        nodes += (unfused(node) if node.op in ("_FusedConv2D", "FusedDepthwiseConv2dNative")
                  else [node])
    graph = tf.compat.v1.GraphDef(versions=parsed.versions)
    graph.node.extend(nodes)
    return graph


def float16_storage(model: onnx.ModelProto, min_size: int = 1024) -> onnx.ModelProto:
    """Large float32 initializers stored as float16, each widened by a Cast node."""
    g = model.graph
    casts, keep = [], []
    for init in g.initializer:
        value = numpy_helper.to_array(init)
        if value.dtype != np.float32 or value.size < min_size:
            keep.append(init)
            continue
        half = numpy_helper.from_array(value.astype(np.float16), init.name + "__fp16")
        keep.append(half)
        casts.append(helper.make_node("Cast", [half.name], [init.name],
                                      to=onnx.TensorProto.FLOAT, name=init.name + "__cast"))
    del g.initializer[:]
    g.initializer.extend(keep)
    nodes = casts + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    return model


def tensor_names(signature_part: dict) -> list[str]:
    return [v["name"] if ":" in v["name"] else v["name"] + ":0"
            for v in signature_part.values()]


def convert(src: Path, dst: Path, outputs: list[str]) -> None:
    """``outputs``: the signature's output keys to keep (empty: all)."""
    model = json.loads(src.read_text())
    graph = graph_def(model, read_weights(model, src.parent))
    signature = model.get("signature") or model["userDefinedMetadata"]["signature"]
    unknown = set(outputs) - set(signature["outputs"])
    if unknown:
        raise ValueError(f"{src}: no outputs {sorted(unknown)}; it has "
                         f"{sorted(signature['outputs'])}")
    kept = {k: v for k, v in signature["outputs"].items() if not outputs or k in outputs}
    proto, _ = tf2onnx.convert.from_graph_def(
        graph, input_names=tensor_names(signature["inputs"]),
        output_names=tensor_names(kept), opset=OPSET)
    proto = float16_storage(proto)
    onnx.checker.check_model(proto)
    dst.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(proto, dst)
    print(f"[convert] {src.name} -> {dst} ({dst.stat().st_size / 1e6:.1f} MB; outputs "
          f"{', '.join(kept)})")


if __name__ == "__main__":
    convert(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:])
