"""Conditions of C lowering that several ops share, each with the rule the user reads when it fails."""

from __future__ import annotations

from mnc.ops.base import Constraint

MAX_RANK = 4   # the C kernels index tensors as 4-D (lower ranks get leading 1s)

BATCH_ONE = Constraint("batch 1 only", lambda op, graph: graph.tensor(op.inputs[0]).shape[0] == 1)
INPUT_RANK_4 = Constraint(f"tensors of rank <= {MAX_RANK} only",
                          lambda op, graph: len(graph.tensor(op.inputs[0]).shape) <= MAX_RANK)
OUTPUT_RANK_4 = Constraint(f"tensors of rank <= {MAX_RANK} only",
                           lambda op, graph: len(graph.tensor(op.outputs[0]).shape) <= MAX_RANK)
INT8_INPUT = Constraint("int8 input only (the C API is int8)",
                        lambda op, graph: graph.tensor(op.inputs[0]).dtype == "int8")
INT8_OUTPUT = Constraint("int8 output only (the C API is int8)",
                         lambda op, graph: graph.tensor(op.outputs[0]).dtype == "int8")
