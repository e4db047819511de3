"""The schedule stage: what hardware each layer becomes and when it runs.

model.py       the hardware model and its formulas; Schedule, LayerSchedule, BufferSchedule
loops.py       each layer's loops under its directives; which nodes run fused in which layer
operators.py   the operators of one iteration and their latencies on the part
access.py      the elements an iteration reads, bank by bank
layers.py      per-layer II, depth and cycles
buffers.py     banks, storage, ports and dataflow channels of every buffer
scheduler.py   ``schedule_kernel``: the whole kernel
timing.py      the event-based timing simulation of a schedule (cycles, interval, Gantt)
"""

from fpgalab.schedule.loops import fusion_chains, plan_loops
from fpgalab.schedule.model import BufferSchedule, LayerSchedule, LoopSchedule, Schedule
from fpgalab.schedule.scheduler import schedule_kernel

__all__ = [
    "BufferSchedule",
    "LayerSchedule",
    "LoopSchedule",
    "Schedule",
    "fusion_chains",
    "plan_loops",
    "schedule_kernel",
]
