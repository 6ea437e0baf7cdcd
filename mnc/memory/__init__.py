"""Static memory planning of the activation arena: liveness over the schedule, then offsets."""

from mnc.memory.liveness import Buffer, compute_buffers
from mnc.memory.planner import MemoryPlan, check_plan, plan_memory

__all__ = ["Buffer", "MemoryPlan", "check_plan", "compute_buffers", "plan_memory"]
