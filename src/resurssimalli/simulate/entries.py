"""Queue entries and sentinel values of the customer-flow model (named, not positional).

Queue entries are ``NamedTuple``s, as cheap to build as tuples. The model's queues are heaps of
int keys ``deadline << SEQ_BITS | seq`` (the order of (deadline, then the unique sequence number),
compared as ints) and look the entry up by its sequence number (``model.Office.entries``).
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from resurssimalli.simulate.model import Customer


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


class InterviewEntry(NamedTuple):
    """A new customer waiting in an interview pool's queue."""

    deadline: int  # day of the interview deadline (the queue's order)
    seq: int  # booking order: ties by deadline go first come, first served
    customer: Customer


class ConversationEntry(NamedTuple):
    """A booked job-search conversation in a coach's queue; stale once the customer is rebooked."""

    deadline: int  # the due day plus the grace working days (the queue's order)
    seq: int
    due: int  # the day from which it may be held
    customer: Customer
    version: int  # the customer's booking version when booked

    @property
    def stale(self) -> bool:
        """The customer left or has been booked again since."""
        c = self.customer
        return c.gone or c.version != self.version
