"""Cloud FPGA deployment: the card around a design (platforms, deployments, power, Vitis export)."""
