"""The small valid models every hostile case starts from (one per importer), built in code.

`tflite_spec()` returns a TFLiteWriter filled with a tiny int8 MobileNet-like chain (3x3 conv + relu,
3x3 depthwise stride 2, average pool, fully connected, softmax) that LiteRT runs; cases mutate the
writer's tensor/op specs before `finish`. `onnx_model()` is the float counterpart as an ONNX
ModelProto (Conv, depthwise Conv, GlobalAveragePool, Flatten, Gemm), and `qdq_model()` the same with
QuantizeLinear/DequantizeLinear pairs. Everything is seeded: the same bytes every run.
"""

from __future__ import annotations

import numpy as np
import onnx
import tflite
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper as nh

from mnc.frontends.tflite.exporter import TFLiteWriter

T = tflite.TensorType
SEED = 14
H = W = 8          # input resolution
C_IN, C_MID, CLASSES = 3, 8, 4


# ---- TFLite ------------------------------------------------------------------------------------

def _weights(rng, shape) -> np.ndarray:
    return rng.integers(-127, 128, shape, dtype=np.int8)


def tflite_spec() -> tuple[TFLiteWriter, list[int], list[int]]:
    """(writer, graph inputs, graph outputs) of the base int8 model; tensor 0 is the input."""
    rng = np.random.default_rng(SEED)
    w = TFLiteWriter()
    x = w.add_tensor("input", (1, H, W, C_IN), T.INT8, scale=1 / 255, zero_point=-128)
    conv_w = w.add_tensor("conv/weights", (C_MID, 3, 3, C_IN), T.INT8, _weights(rng, (C_MID, 3, 3, C_IN)),
                          scale=np.full(C_MID, 0.004), zero_point=np.zeros(C_MID), axis=0)
    conv_b = w.add_tensor("conv/bias", (C_MID,), T.INT32, rng.integers(-200, 200, C_MID).astype(np.int32),
                          scale=np.full(C_MID, 0.004 / 255), zero_point=np.zeros(C_MID))
    conv_y = w.add_tensor("conv/relu", (1, H, W, C_MID), T.INT8, scale=0.02, zero_point=-128)
    w.add_operator("CONV_2D", [x, conv_w, conv_b], [conv_y],
                   ("Conv2DOptions", {"Padding": tflite.Padding.SAME, "StrideH": 1, "StrideW": 1,
                                      "FusedActivationFunction": tflite.ActivationFunctionType.RELU}))
    dw_w = w.add_tensor("dw/weights", (1, 3, 3, C_MID), T.INT8, _weights(rng, (1, 3, 3, C_MID)),
                        scale=np.full(C_MID, 0.01), zero_point=np.zeros(C_MID), axis=3)
    dw_b = w.add_tensor("dw/bias", (C_MID,), T.INT32, rng.integers(-100, 100, C_MID).astype(np.int32),
                        scale=np.full(C_MID, 0.0002), zero_point=np.zeros(C_MID))
    dw_y = w.add_tensor("dw/out", (1, H // 2, W // 2, C_MID), T.INT8, scale=0.05, zero_point=3)
    w.add_operator("DEPTHWISE_CONV_2D", [conv_y, dw_w, dw_b], [dw_y],
                   ("DepthwiseConv2DOptions", {"Padding": tflite.Padding.SAME, "StrideH": 2, "StrideW": 2,
                                               "DepthMultiplier": 1}))
    pool_y = w.add_tensor("pool", (1, 1, 1, C_MID), T.INT8, scale=0.05, zero_point=3)
    w.add_operator("AVERAGE_POOL_2D", [dw_y, ], [pool_y],
                   ("Pool2DOptions", {"Padding": tflite.Padding.VALID, "StrideH": 1, "StrideW": 1,
                                      "FilterHeight": H // 2, "FilterWidth": W // 2}))
    fc_w = w.add_tensor("fc/weights", (CLASSES, C_MID), T.INT8, _weights(rng, (CLASSES, C_MID)),
                        scale=0.01, zero_point=0)
    fc_b = w.add_tensor("fc/bias", (CLASSES,), T.INT32, rng.integers(-50, 50, CLASSES).astype(np.int32),
                        scale=0.0005, zero_point=0)
    logits = w.add_tensor("logits", (1, CLASSES), T.INT8, scale=0.1, zero_point=0)
    w.add_operator("FULLY_CONNECTED", [pool_y, fc_w, fc_b], [logits], ("FullyConnectedOptions", {}))
    probs = w.add_tensor("probs", (1, CLASSES), T.INT8, scale=1 / 256, zero_point=-128)
    w.add_operator("SOFTMAX", [logits], [probs], ("SoftmaxOptions", {"Beta": 1.0}))
    return w, [x], [probs]


def tflite_bytes() -> bytes:
    writer, inputs, outputs = tflite_spec()
    return writer.finish(inputs, outputs)


# ---- ONNX --------------------------------------------------------------------------------------

def _init(name: str, array: np.ndarray) -> onnx.TensorProto:
    return nh.from_array(np.asarray(array), name)


def onnx_parts(rng=None) -> tuple[list, list]:
    """(nodes, initializers) of the float base model: input `x` [1,3,8,8] -> output `y` [1,4]."""
    rng = rng or np.random.default_rng(SEED)
    f = np.float32
    inits = [
        _init("conv_w", rng.normal(0, 0.3, (C_MID, C_IN, 3, 3)).astype(f)),
        _init("conv_b", rng.normal(0, 0.1, C_MID).astype(f)),
        _init("dw_w", rng.normal(0, 0.3, (C_MID, 1, 3, 3)).astype(f)),
        _init("dw_b", rng.normal(0, 0.1, C_MID).astype(f)),
        _init("fc_w", rng.normal(0, 0.3, (CLASSES, C_MID)).astype(f)),
        _init("fc_b", rng.normal(0, 0.1, CLASSES).astype(f)),
    ]
    nodes = [
        h.make_node("Conv", ["x", "conv_w", "conv_b"], ["c1"], name="conv", pads=[1, 1, 1, 1], strides=[1, 1],
                    kernel_shape=[3, 3]),
        h.make_node("Relu", ["c1"], ["r1"], name="relu"),
        h.make_node("Conv", ["r1", "dw_w", "dw_b"], ["c2"], name="dw", pads=[1, 1, 1, 1], strides=[2, 2],
                    group=C_MID, kernel_shape=[3, 3]),
        h.make_node("Relu", ["c2"], ["r2"], name="relu2"),
        h.make_node("GlobalAveragePool", ["r2"], ["g"], name="gap"),
        h.make_node("Flatten", ["g"], ["flat"], name="flatten", axis=1),
        h.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["y"], name="fc", transB=1),
    ]
    return nodes, inits


def make_onnx(nodes, inits, inputs=None, outputs=None, opset: int = 17) -> onnx.ModelProto:
    inputs = inputs or [h.make_tensor_value_info("x", TP.FLOAT, [1, C_IN, H, W])]
    outputs = outputs or [h.make_tensor_value_info("y", TP.FLOAT, [1, CLASSES])]
    graph = h.make_graph(nodes, "hostile", inputs, outputs, inits)
    return h.make_model(graph, opset_imports=[h.make_opsetid("", opset)], ir_version=8)


def onnx_model() -> onnx.ModelProto:
    return make_onnx(*onnx_parts())


def qdq_model() -> onnx.ModelProto:
    """A QDQ conv: x -> Q/DQ -> Conv (int8 weights, int32 bias behind DequantizeLinear) -> Q/DQ -> y."""
    rng = np.random.default_rng(SEED + 1)
    w_scale = np.full(C_MID, 0.003, np.float32)
    inits = [
        _init("x_s", np.array(1 / 255, np.float32)), _init("x_z", np.array(-128, np.int8)),
        _init("w_q", rng.integers(-127, 128, (C_MID, C_IN, 3, 3)).astype(np.int8)),
        _init("w_s", w_scale), _init("w_z", np.zeros(C_MID, np.int8)),
        _init("b_q", rng.integers(-300, 300, C_MID).astype(np.int32)),
        _init("b_s", (w_scale / 255).astype(np.float32)), _init("b_z", np.zeros(C_MID, np.int32)),
        _init("y_s", np.array(0.02, np.float32)), _init("y_z", np.array(5, np.int8)),
    ]
    nodes = [
        h.make_node("QuantizeLinear", ["x", "x_s", "x_z"], ["xq"], name="x_q"),
        h.make_node("DequantizeLinear", ["xq", "x_s", "x_z"], ["xd"], name="x_dq"),
        h.make_node("DequantizeLinear", ["w_q", "w_s", "w_z"], ["w"], name="w_dq", axis=0),
        h.make_node("DequantizeLinear", ["b_q", "b_s", "b_z"], ["b"], name="b_dq", axis=0),
        h.make_node("Conv", ["xd", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        h.make_node("QuantizeLinear", ["c", "y_s", "y_z"], ["cq"], name="c_q"),
        h.make_node("DequantizeLinear", ["cq", "y_s", "y_z"], ["y"], name="c_dq"),
    ]
    out = [h.make_tensor_value_info("y", TP.FLOAT, [1, C_MID, H, W])]
    return make_onnx(nodes, inits, outputs=out)
