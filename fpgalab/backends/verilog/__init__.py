"""The Verilog backend: RTL from the schedule (one FSM per layer, memories, ROMs) and its self-checking testbench."""
