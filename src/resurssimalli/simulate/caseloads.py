"""The coaches' caseloads and the choice of a customer's personal coach (issue 30: at scale).

The rule (OMA-valmentaja): a customer gets the slot of their team with the lowest ``(caseload +
1) / FTE share``, ties to the lowest slot index. Scanning the team for it costs the team's size
per choice, and a large area's multi-sector team has hundreds of slots; so each team keeps a heap
of ``(key, slot)`` entries, updated lazily: whenever a slot's caseload changes its new key is
pushed, and an entry whose key is no longer its slot's key (the same expression, so the same
float) is dropped when it reaches the top. The heap's smallest current entry is the scan's
choice, ``(key, slot)`` ordering exactly as the scan compares; a heap grown past twice its team
(plus a margin) is rebuilt from the current keys, which changes no choice.
"""

from __future__ import annotations

from heapq import heapify, heappop, heappush
from typing import Final

REBUILD_MARGIN: Final = 32  # stale entries a team's heap may hold beyond its size before a rebuild


class CaseLoads:
    """Each slot's caseload (customers it coaches) and each team's least loaded slot."""

    def __init__(self, teams: tuple[tuple[int, ...], ...], fte: list[float]) -> None:
        self.fte = fte  # per slot: the person's share of the line
        self.load: list[int] = [0] * len(fte)
        self.teams: list[list[int]] = [list(t) for t in teams]
        self.team_of: list[int] = [-1] * len(fte)
        for t, team in enumerate(teams):
            for slot in team:
                self.team_of[slot] = t
        self.heaps: list[list[tuple[float, int]]] = [[] for _ in teams]
        for t in range(len(teams)):
            self._rebuild(t)

    def key(self, slot: int) -> float:
        """The slot's load as the choice compares it: (caseload + 1) / FTE share."""
        return (self.load[slot] + 1) / self.fte[slot]

    def _rebuild(self, t: int) -> None:
        team = self.teams[t]
        if len(team) > 1:  # a team of one needs no heap (and its share is never divided by)
            heap = [(self.key(slot), slot) for slot in team]
            heapify(heap)
            self.heaps[t] = heap

    def take(self, t: int) -> int:
        """The least loaded slot of team ``t`` (lowest key, ties: lowest index), one more customer on it."""
        team = self.teams[t]
        if len(team) == 1:
            best = team[0]
            self.load[best] = self.load[best] + 1
            return best
        heap = self.heaps[t]
        while heap[0][0] != self.key(heap[0][1]):  # stale: the slot's load has changed since
            heappop(heap)
        best = heappop(heap)[1]
        self.load[best] = self.load[best] + 1
        self._push(t, best)
        return best

    def release(self, slot: int) -> None:
        """One customer fewer on ``slot`` (left, or moved to another line's coach)."""
        self.load[slot] = self.load[slot] - 1
        t = self.team_of[slot]
        if t >= 0:
            self._push(t, slot)

    def _push(self, t: int, slot: int) -> None:
        heap = self.heaps[t]
        if len(heap) > 2 * len(self.teams[t]) + REBUILD_MARGIN:
            self._rebuild(t)  # holds every slot's current key
        elif len(self.teams[t]) > 1:
            heappush(heap, (self.key(slot), slot))
