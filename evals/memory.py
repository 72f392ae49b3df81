"""Keep the process's resident memory near what its live tensors need: few malloc arenas, freed memory given back.

glibc's malloc keeps freed blocks for reuse instead of returning them to the system, one pool (arena) per
thread that allocates; a run that loads, trains and evaluates models one after the other would otherwise hold
the high-water mark of every phase. No-ops off glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache

M_ARENA_MAX = -8  # glibc's mallopt parameter number


@cache
def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's malloc arenas, as MALLOC_ARENA_MAX does, for threads that start allocating after this call.

    Generation runs in worker threads; glibc gives each its own arena, and the large, short-lived
    tensors freed in one are not reused by another, so resident memory grows with the thread count
    (a prompting run on support-intents peaked at 3.1 GB, 1.6 GB with two arenas). glibc fixes the cap
    the first time a thread needs a new arena past its eighth, so call this before threads start.
    """
    libc = _libc()
    if libc is not None and hasattr(libc, "mallopt"):
        libc.mallopt(M_ARENA_MAX, arenas)


def release_memory() -> None:
    """Free what nothing references any more (reference cycles included) and give free heap pages back to the system."""
    gc.collect()
    libc = _libc()
    if libc is not None and hasattr(libc, "malloc_trim"):
        libc.malloc_trim(0)
