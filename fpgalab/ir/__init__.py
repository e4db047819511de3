"""The loop-nest HLS IR: node classes, numeric types, loop nests, printing, checks, JSON."""
