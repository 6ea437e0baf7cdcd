"""Ops: one module per op kind, each registering an OpDef (mnc/ops/registry.py)."""

from mnc.ops.base import OpDef
from mnc.ops.registry import get_op, kinds, register
from mnc.ops.verify import verify_graph

__all__ = ["OpDef", "get_op", "kinds", "register", "verify_graph"]
