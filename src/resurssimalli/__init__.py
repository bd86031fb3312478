"""resurssimalli: an open planning model for Finnish employment areas (see README.md).

One process-wide setting is made here, before anything of the project imports pyarrow: Arrow's
memory pool is the system allocator (``ARROW_DEFAULT_MEMORY_POOL=system``) unless the environment
names another. Arrow's bundled mimalloc was slow on the first large allocations of a run's KPI
frame (one filter of it 0.13 s against 0.02 s; the write stage of ``run --replications 30``
2.3-2.6 s against 1.95-2.0 s, quiet). Processes started from this one (the workers' fork server)
inherit it. Results do not depend on the allocator.
"""

import os

os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
