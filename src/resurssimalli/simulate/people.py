"""The people behind a plan's HTV: who works in each responsibility area, and on which lines.

The plan gives HTV per area × service line; an office employs people. Each area's HTV of customer
work and employer services (centralised functions meet no customers) become people:

* ``floor(H)`` full-time people and one part-time person for a remainder of at least
  ``staff.min_part_time_fte``; a smaller remainder is shared over the full-timers as slightly
  longer hours, and an area with less than one HTV has one part-time person (:func:`area_ftes`).
  An assumption: the plan does not say how its HTV are cut into people.
* Each person's working time is split between the lines they serve, their *shares* (FTE), filled
  line by line in a fixed order so that a line's HTV sit with as few people as possible
  (:func:`fill_shares`). A line's share below a whole person is part of someone's week, not a
  separate tiny post: the person's day serves all their lines' work, earliest deadline first.

The simulation works with *slots* — one per (person, line) with the share as its FTE — for the
named-coach assignment (customers go to the least loaded slot of their team) and for the KPIs by
line; a person's day, queue, roster and flexitime balance are the person's own.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

EMPLOYER_LINE = "employer_services"
MIN_PART_TIME_FTE = 0.25  # the default of staff.min_part_time_fte
_EPS = 1e-9


@dataclass(frozen=True)
class Person:
    """One member of staff: their area, working time and how it is split between lines."""

    id: int  # index in the run's people
    area: int  # index in the run's sorted areas
    ordinal: int  # order within the area: with ``area``, the key of the person's random streams
    fte: float
    shares: tuple[tuple[str, float], ...]  # (service line, FTE), summing to ``fte``

    @property
    def lines(self) -> tuple[str, ...]:
        return tuple(line for line, _ in self.shares)

    def share(self, line: str) -> float:
        return sum(f for x, f in self.shares if x == line)


def area_ftes(htv: float, min_part_time: float = MIN_PART_TIME_FTE) -> list[float]:
    """The people behind an area's HTV: full-time people and at most one part-timer.

    More HTV never split the work over more, smaller people: one HTV more adds one full-time person.
    """
    full = math.floor(htv + _EPS)
    rest = htv - full
    if full == 0:
        return [htv]
    if rest >= min_part_time:
        return [1.0] * full + [rest]
    return [1.0 + rest / full] * full


def fill_shares(ftes: list[float], line_htv: Iterable[tuple[str, float]]) -> list[tuple[tuple[str, float], ...]]:
    """Each person's shares: the lines' HTV poured into the people in order, each person filled
    before the next (a line spans as few people as the order allows)."""
    out: list[list[tuple[str, float]]] = [[] for _ in ftes]
    room = list(ftes)
    i = 0
    for line, htv in line_htv:
        left = htv
        while left > _EPS and i < len(ftes):
            take = min(left, room[i])
            if take > _EPS:
                out[i].append((line, take))
                room[i] -= take
                left -= take
            if room[i] <= _EPS:
                i += 1
        if left > 1e-6:
            raise ValueError(f"{left:.6f} HTV of {line} left over after filling {sum(ftes):.6f} FTE")
    return [tuple(s) for s in out]


def build_people(
    line_htv: dict[tuple[int, str], float], line_order: tuple[str, ...], min_part_time: float = MIN_PART_TIME_FTE
) -> tuple[Person, ...]:
    """The people of every area from HTV per (area index, line) (lines in ``line_order`` only)."""
    people: list[Person] = []
    for area in sorted({a for a, _ in line_htv}):
        lines = [(x, line_htv[(area, x)]) for x in line_order if line_htv.get((area, x), 0.0) > 1e-6]
        total = sum(h for _, h in lines)
        if total <= 1e-6:
            continue
        ftes = area_ftes(total, min_part_time)
        for k, (fte, shares) in enumerate(zip(ftes, fill_shares(ftes, lines), strict=True)):
            people.append(Person(len(people), area, k, fte, shares))
    return tuple(people)


def describe(person: Person) -> str:
    """``job_brokering 1.00; multi_sector 0.16`` — a person's lines and shares."""
    return "; ".join(f"{line} {f:.2f}" for line, f in person.shares)
