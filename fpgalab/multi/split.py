"""The optimal contiguous split of a layer chain over devices in a fixed order (exact, dynamic programming).

Layers ``0..n-1`` go to ``D`` devices as stages ``[b_0, b_1), [b_1, b_2), ..., [b_{D-1}, n)`` with
``0 = b_0 < b_1 < ... < b_D = n`` (every device gets at least one layer). Stage ``k`` on device ``k``
costs ``stage(i, j, k)`` seconds per frame (``None`` when it does not fit that device); the cut
before layer ``j`` costs ``cut(j)`` seconds per frame on the link. The pipeline's interval is the
largest of these; the split minimises it, and among the splits reaching that interval takes the one
with the least latency (the sum of the stages' latencies ``stage_latency(i, j)`` and the cuts',
``cut_latency(j)``).

Both passes are dynamic programs over (devices used, layers placed): ``O(D n^2)`` stage costs.
"""

from __future__ import annotations

import math

TOLERANCE = 1e-12  # relative: intervals equal to this are one interval (float sums of the same terms)


def best_split(n: int, devices: int, stage, cut, stage_latency, cut_latency) -> tuple[int, ...] | None:
    """The boundaries ``(b_0, ..., b_D)`` of the best split, or ``None`` when no split fits."""
    inf = math.inf
    bottleneck = [[inf] * (n + 1) for _ in range(devices + 1)]
    bottleneck[0][0] = 0.0
    for k in range(1, devices + 1):
        for j in range(k, n - (devices - k) + 1):
            for i in range(k - 1, j):
                before = bottleneck[k - 1][i]
                if before == inf:
                    continue
                cost = stage(i, j, k - 1)
                if cost is None:
                    continue
                value = max(before, cost, cut(i) if k > 1 else 0.0)
                bottleneck[k][j] = min(bottleneck[k][j], value)
    target = bottleneck[devices][n]
    if target == inf:
        return None
    limit = target * (1 + TOLERANCE)
    latency = [[inf] * (n + 1) for _ in range(devices + 1)]
    choice = [[-1] * (n + 1) for _ in range(devices + 1)]
    latency[0][0] = 0.0
    for k in range(1, devices + 1):
        for j in range(k, n - (devices - k) + 1):
            for i in range(k - 1, j):
                before = latency[k - 1][i]
                if before == inf:
                    continue
                cost = stage(i, j, k - 1)
                if cost is None or cost > limit or (k > 1 and cut(i) > limit):
                    continue
                value = before + stage_latency(i, j) + (cut_latency(i) if k > 1 else 0.0)
                if value < latency[k][j]:
                    latency[k][j], choice[k][j] = value, i
    bounds = [n]
    for k in range(devices, 0, -1):
        bounds.append(choice[k][bounds[-1]])
    return tuple(reversed(bounds))
