"""Networks split across several FPGAs and pipelined (``design.partition``).

    split = design.partition(devices=["xcvu9p"] * 4, link="f1-p2p")
    print(split.report()); split.simulate(); split.emit("hls", "out/split")

``partition.py`` finds the split (``split.py``: the exact dynamic program), ``stages.py`` what a run of
layers costs on one device and which tensors cross each cut, ``links.py`` the links between devices
as data (``links.json``, every number with its source), ``report.py`` the report,
``pipeline_sim.py`` the event simulation of the pipeline, ``emit.py`` one project per device.
"""

from fpgalab.multi.links import Link, list_links, load_link
from fpgalab.multi.partition import Cut, Partition, Stage, partition
from fpgalab.multi.report import PartitionReport

__all__ = ["Cut", "Link", "Partition", "PartitionReport", "Stage", "list_links", "load_link", "partition"]
