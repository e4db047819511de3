"""Pipelined training with stale weights, emulated in TensorFlow (issue 16).

After Zhang & Abdelrahman, "Pipelined training with stale weights of deep convolutional neural
networks" (arXiv:1912.12675, 2019; Applied Computational Intelligence and Soft Computing 2021,
doi:10.1155/2021/3839543): a CNN cut into partitions across accelerators, backpropagation pipelined
over them without weight stashing or micro-batching, so each partition computes with weights a few
updates old (fpgalab.train.stages has the rule), optionally followed by ordinary training (their
hybrid scheme).

    result = fpgalab.train.pipelined(model, stages=2, data=(x_tr, y_tr, x_te, y_te), epochs=20)
    result.table(); result.figure(); result.speedup

An emulation of the arithmetic on one CPU process, not a run on FPGAs: the accuracy curves are what
the stale-weight updates give; the speed-up is what the partitioned pipeline would give by fpgalab's
per-layer cycle estimates (fpgalab.train.costs).  Importing this package does not import TensorFlow.
"""

from fpgalab.train.pipelined import pipelined
from fpgalab.train.result import Curve, PipelinedResult
from fpgalab.train.stages import Stage, split_stages, stage_delays

__all__ = ["Curve", "PipelinedResult", "Stage", "pipelined", "split_stages", "stage_delays"]
