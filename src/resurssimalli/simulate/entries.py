"""Sentinel values of the customer-flow model (named, not positional).

The queues themselves hold int keys in the compiled model module (``model.SEQ_BITS``): a key is
its deadline and seq, and ``Office.booked[seq]`` the ``Customer`` it was pushed for.
"""

from __future__ import annotations

from enum import IntEnum


class Source(IntEnum):
    """How a customer entered the run (``Cohort.source`` holds these values)."""

    STOCK = 0  # the starting stock (registered before the run)
    INFLOW = 1  # a new registration
    CLOSURE = 2  # a plant closure's registration

    @property
    def label(self) -> str:
        return self.name.lower()


class Interview(IntEnum):
    """``Customer.interview_day`` before the interview is held (afterwards: the day index, ≥ 0)."""

    WAITING = -1  # registered in the run, not yet interviewed
    BEFORE_RUN = -2  # the starting stock: interviewed before the run
