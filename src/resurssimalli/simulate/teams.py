"""How the people are organised: slots, customer teams, interview pools and employer teams.

* A *slot* is one person's share of one line (:mod:`resurssimalli.simulate.people`); customers are
  named to slots, so a person's caseload per line follows their share of it.
* A *customer team* is the slots of one (area, line). A customer's team is their area's team of
  their line; else the largest team of the line (integration-phase customers are served by the
  integration team); else the largest team of the area; else the largest of all.
* An *interview pool* shares one initial-interview queue: an area's people with customer lines
  other than integration, and the integration team's people. When nobody of a pool is on duty,
  the first pool of its *cover* order that has someone on duty takes its queue that day (the
  continuity rule's stated cover: the other pool of the same area, then the largest pool).
* An *employer team* is the slots of employer services of one area; an area without them is
  served by the largest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from resurssimalli.scenario.schema import CUSTOMER_LINES
from resurssimalli.simulate.people import EMPLOYER_LINE, Person

LINES = CUSTOMER_LINES
LINE_INDEX = {line: i for i, line in enumerate(LINES)}
INTEGRATION = "integration"


@dataclass
class _Slots:
    fte: list[float] = field(default_factory=list)
    line: list[str] = field(default_factory=list)
    area: list[int] = field(default_factory=list)
    person: list[int] = field(default_factory=list)
    of_person: list[list[int]] = field(default_factory=list)


def _slots(people: tuple[Person, ...]) -> _Slots:
    s = _Slots()
    for x in people:
        mine = []
        for line, share in x.shares:
            mine.append(len(s.fte))
            s.fte.append(share)
            s.line.append(line)
            s.area.append(x.area)
            s.person.append(x.id)
        s.of_person.append(mine)
    return s


def _teams(s: _Slots, line_filter) -> tuple[list[tuple[int, str]], list[tuple[int, ...]]]:
    keys = sorted({(a, line) for a, line in zip(s.area, s.line, strict=True) if line_filter(line)})
    teams = [
        tuple(i for i in range(len(s.fte)) if (s.area[i], s.line[i]) == k) for k in keys
    ]
    return keys, teams


def _route(keys: list[tuple[int, str]], htv: list[float], a: int, line: str) -> int:
    if (a, line) in keys:
        return keys.index((a, line))
    same = [i for i, k in enumerate(keys) if k[1] == line]
    local = [i for i, k in enumerate(keys) if k[0] == a]
    cands = same or local or list(range(len(keys)))
    return max(cands, key=lambda i: (htv[i], -i))


def _pools(
    s: _Slots, keys: list[tuple[int, str]], teams: list[tuple[int, ...]], n_areas: int
) -> tuple[list[tuple[int, ...]], list[int | None], dict[int, int]]:
    """Pools as slot tuples, the area of each area pool (None: integration), team -> pool."""
    pools: list[tuple[int, ...]] = []
    pool_area: list[int | None] = []
    team_pool: dict[int, int] = {}
    for a in range(n_areas):
        members = [i for t, k in zip(teams, keys, strict=True) if k[0] == a and k[1] != INTEGRATION for i in t]
        if members:
            pools.append(tuple(members))
            pool_area.append(a)
    for i, k in enumerate(keys):
        if k[1] == INTEGRATION:
            team_pool[i] = len(pools)
            pools.append(teams[i])
            pool_area.append(None)
    return pools, pool_area, team_pool


def _pool_for(
    keys: list[tuple[int, str]], team_for: list[list[int]], pool_area: list[int | None], team_pool: dict[int, int],
    n_areas: int,
) -> tuple[tuple[int, ...], ...]:  # fmt: skip
    area_pool = {a: i for i, a in enumerate(pool_area) if a is not None}

    def pool_of(a: int, line: str) -> int:
        team = team_for[a][LINE_INDEX[line]]
        if team in team_pool:
            return team_pool[team]
        for area in (a, keys[team][0]):
            if area in area_pool:
                return area_pool[area]
        return next(iter(area_pool.values()), 0)

    return tuple(tuple(pool_of(a, line) for line in LINES) for a in range(n_areas))


def _covers(pools: list[tuple[int, ...]], s: _Slots) -> tuple[tuple[int, ...], ...]:
    """Per pool, the other pools in cover order: those sharing an area first, then by size."""
    area = [s.area[p[0]] for p in pools]
    size = [sum(s.fte[i] for i in p) for p in pools]
    return tuple(
        tuple(sorted((j for j in range(len(pools)) if j != i), key=lambda j: (area[j] != area[i], -size[j], j)))
        for i in range(len(pools))
    )


def staff_tables(people: tuple[Person, ...], n_areas: int) -> dict:
    """The SimParams fields of the staff's organisation (see the module docstring)."""
    s = _slots(people)
    keys, teams = _teams(s, lambda line: line != EMPLOYER_LINE)
    htv = [sum(s.fte[i] for i in t) for t in teams]
    team_for = [[_route(keys, htv, a, line) for line in LINES] for a in range(n_areas)]
    pools, pool_area, team_pool = _pools(s, keys, teams, n_areas)
    pool_people = [tuple(sorted({s.person[i] for i in p})) for p in pools]
    ekeys, eteams = _teams(s, lambda line: line == EMPLOYER_LINE)
    ehtv = [sum(s.fte[i] for i in t) for t in eteams]
    largest = max(range(len(eteams)), key=lambda i: (ehtv[i], -i)) if eteams else -1
    earea = [k[0] for k in ekeys]
    employer = [(-1, 0.0)] * len(people)
    for t, team in enumerate(eteams):
        for i in team:
            employer[s.person[i]] = (t, s.fte[i])
    return {
        "person_slots": tuple(tuple(x) for x in s.of_person),
        "person_pools": tuple(
            tuple(k for k, members in enumerate(pool_people) if x.id in members) for x in people
        ),
        "person_employer": tuple(employer),
        "coach_fte": tuple(s.fte),
        "coach_line": tuple(s.line),
        "coach_area": tuple(s.area),
        "coach_person": tuple(s.person),
        "teams": tuple(teams),
        "team_line": tuple(LINE_INDEX[k[1]] for k in keys),
        "team_for": tuple(tuple(r) for r in team_for),
        "pools": tuple(pools),
        "pool_people": tuple(pool_people),
        "pool_cover": _covers(pools, s),
        "pool_for": _pool_for(keys, team_for, pool_area, team_pool, n_areas),
        "employer_team_for": tuple(earea.index(a) if a in earea else largest for a in range(n_areas)),
        "employer_teams": tuple(eteams),
    }
