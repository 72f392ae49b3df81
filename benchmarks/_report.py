"""The one line each benchmark ends with, which `run_all.py` reads into benchmarks/RESULTS.md.

    emit("eval throughput vs lm-eval", ours=3.1, peer=2.4, unit="items/s", goal=">= 1.0x", note="...")

`ratio` is ours / peer when higher is better, peer / ours when lower is better (`lower_is_better`),
so that a ratio above 1.0 always means we are ahead.
"""

from __future__ import annotations

import json

PREFIX = "RESULT "


def emit(
    name: str,
    *,
    ours: float,
    peer: float,
    unit: str,
    peer_name: str,
    goal_ratio: float = 1.0,
    lower_is_better: bool = False,
    goal: str = "",
    also_holds: bool = True,
    note: str = "",
) -> dict:
    """Print the benchmark's result line (after its human-readable output) and return it.

    Args:
        goal_ratio: the ratio the goal asks for; `goal` says it in words with any other condition,
            and `also_holds` whether that other condition held.
    """
    ratio = (peer / ours if lower_is_better else ours / peer) if ours and peer else 0.0
    row = {
        "name": name,
        "ours": ours,
        "peer": peer,
        "peer_name": peer_name,
        "unit": unit,
        "ratio": round(ratio, 3),
        "goal_ratio": goal_ratio,
        "goal": goal or f">= {goal_ratio:g}x",
        "met": ratio >= goal_ratio and also_holds,
        "note": note,
    }
    print(PREFIX + json.dumps(row), flush=True)
    return row


def set_threads(threads: int) -> int:
    """Use exactly `threads` torch CPU threads (this machine's environment may preset OMP_NUM_THREADS=1)."""
    import torch

    torch.set_num_threads(threads)
    return torch.get_num_threads()
