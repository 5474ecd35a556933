"""Memory given back between the heavy steps of a build.

A check or a chart of a big table leaves its arrays behind in reference cycles (pandas and the
rule contexts) until the cycle collector runs, and pyarrow's allocator (mimalloc) keeps freed
memory for reuse instead of returning it to the system. Measured on the province's 13 M-row
hourly file: 2.1 GB resident after its check, 1.6 GB of it still allocated in Arrow; 2.0 GB
after a collection; 0.27 GB once the allocator releases what it holds. Without this, each step
starts on top of the last one's leftovers and the build's peak is their sum (docs/scale.md).
"""

from __future__ import annotations

import gc
import os
import sys

#: below this resident size a collection costs more than it gives back (a full collection of a big
#: heap takes a tenth of a second; the demo's builds never get here)
WORTH_IT = 512 << 20


def give_back() -> None:
    """Collect reference cycles and let pyarrow's allocator return unused memory to the system
    (when pyarrow is loaded at all: a build that computed nothing does not import it here), once
    the process holds more than :data:`WORTH_IT`."""
    if _resident() < WORTH_IT:
        return
    gc.collect()
    pyarrow = sys.modules.get("pyarrow")
    if pyarrow is not None:
        pyarrow.default_memory_pool().release_unused()


def _resident() -> int:
    """Bytes of this process in memory now (Linux); elsewhere as if always worth it."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return WORTH_IT
