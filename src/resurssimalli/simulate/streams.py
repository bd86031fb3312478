"""Random-number streams: one root seed, one stream per activity, spares reserved.

``SeedSequence([root_seed, replication]).spawn(N_STREAMS)`` gives the children; each activity
always takes the same child, so adding an activity (from the spares) shifts no other stream.
The scenario is never part of the seed: scenarios share random numbers and their differences
pair up (common random numbers).
"""

from __future__ import annotations

import numpy as np

N_STREAMS = 16
STREAMS = {
    "stock": 0,  # the July stock: lines, elapsed spells, attributes
    "arrivals": 1,  # candidate registrations (thinned to the scenario's inflow) and their attributes
    "closures": 2,  # plant-closure registrations (one child per closure)
    "staff": 3,  # absences and holiday blocks
    "employers": 4,  # employer service requests
    "stock_schedule": 5,  # phase of the stock's next conversations
    "mmc_arrivals": 6,  # M/M/c verification mode
    "mmc_service": 7,
    "attributes": 8,  # foreign nationality, partial work ability (stock, arrivals, closures: one child each)
    "states": 15,  # customer states beyond the unemployed (customer_states.py): stock, entries, stays
}
SPARE_STREAMS = tuple(range(9, N_STREAMS - 1))


def streams(root_seed: int, replication: int) -> dict[str, np.random.Generator]:
    """Generators per activity for one replication."""
    if root_seed < 0 or replication < 0:
        raise ValueError("root_seed and replication must be non-negative")
    children = np.random.SeedSequence([int(root_seed), int(replication)]).spawn(N_STREAMS)
    return {name: np.random.Generator(np.random.PCG64(children[i])) for name, i in STREAMS.items()}


def child_generators(rng: np.random.Generator, n: int) -> list[np.random.Generator]:
    """``n`` independent generators derived from one stream (e.g. one per plant closure)."""
    return [np.random.Generator(np.random.PCG64(s)) for s in rng.bit_generator.seed_seq.spawn(n)]
