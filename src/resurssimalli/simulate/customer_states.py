"""Customer states beyond the unemployed in the simulation (``demand.jobseekers``; scenario/states.py).

The laid off, employed job seekers and people in services are customers like the unemployed: a
coach of the state's line is named for each, they hold meetings from the same coaches' days and
queues, and they leave at their own time. What differs rides on the customer
(:class:`~resurssimalli.simulate.model.Customer`): its meeting minutes, its cadence (a meeting
every ``interval_months``, no first phase and no switch to multi-sector support), its coach's
work between meetings, and an exit fixed at entry (exponential, mean ``mean_months``; no service
effect: they are not unemployed). Their starting stock is the scenario's state stock (fractions
rounded at random) with the next meeting at a random phase of the interval, and entries arrive as
a Poisson process at the calibrated rate (:func:`~resurssimalli.scenario.states.state_flows`),
their first meeting one interval after entry (they come from earlier service, not a new
registration). They count in the coaches' KPIs (conversations, caseload, utilisation) and in
the stock by state, never in the unemployed's (stock, spells, unemployment days, benefits).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from resurssimalli.scenario.states import OTHER_STATES, state_flows
from resurssimalli.simulate.entries import Source

STATE_AGE = 1  # the middle age band: the plan's groups are the unemployed's


@dataclass(frozen=True)
class StateParams:
    """Per customer state (index ``s`` in :data:`OTHER_STATES`; a customer's ``state`` is s + 1)."""

    stock: np.ndarray  # [muni, state] starting stock (fractional)
    entries_per_day: np.ndarray  # [muni, state]
    line: tuple[int, ...]  # the serving line's index
    meeting_minutes: tuple[float, ...]
    step_days: tuple[int, ...]  # the cadence: whole days between meetings
    indirect_minutes: tuple[float, ...]  # coach work between meetings, per duty day
    mean_days: tuple[float, ...]  # mean stay


def state_params(
    scenario, munis: tuple[str, ...], line_index: dict[str, int], duty_days: float, days_per_month: float
) -> StateParams | None:
    """The states of a scenario with ``demand.jobseekers``, else None."""
    flows = state_flows(scenario)
    if flows.empty:
        return None
    stock = flows.pivot(index="municipality", columns="state", values="stock").reindex(
        index=list(munis), columns=list(OTHER_STATES)
    )
    entries = flows.pivot(index="municipality", columns="state", values="entries_per_year").reindex(
        index=list(munis), columns=list(OTHER_STATES)
    )
    svc = [scenario.config.service.states[s] for s in OTHER_STATES]
    return StateParams(
        stock=stock.to_numpy(dtype=float),
        entries_per_day=entries.to_numpy(dtype=float) / (12.0 * days_per_month),
        line=tuple(line_index[x.line] for x in svc),
        meeting_minutes=tuple(float(x.meeting_minutes) for x in svc),
        step_days=tuple(max(1, int(round(x.interval_months * days_per_month))) for x in svc),
        indirect_minutes=tuple(x.coach_hours_per_year * 60.0 / duty_days for x in svc),
        mean_days=tuple(x.mean_months * days_per_month for x in svc),
    )


def draw_states(p, rng: np.random.Generator, pick_places) -> dict[str, np.ndarray] | None:
    """The state customers' columns (stock first, then entries in time order), or None.

    ``pick_places(muni, u3)`` gives (dp, minutes, site) from three uniforms a customer (draws.py)."""
    sp: StateParams | None = p.states
    if sp is None:
        return None
    n_days = p.calendar.n_days
    nm, ns = sp.stock.shape
    whole = np.floor(sp.stock)
    counts = (whole + (rng.random((nm, ns)) < sp.stock - whole)).astype(np.int64)
    muni0, state0 = np.nonzero(counts)
    muni0, state0 = np.repeat(muni0, counts[muni0, state0]), np.repeat(state0, counts[muni0, state0])
    n_new = rng.poisson(sp.entries_per_day * n_days)
    muni1, state1 = np.nonzero(n_new)
    muni1, state1 = np.repeat(muni1, n_new[muni1, state1]), np.repeat(state1, n_new[muni1, state1])
    t1 = rng.random(len(muni1)) * n_days
    order = np.argsort(t1, kind="stable")
    muni1, state1, t1 = muni1[order], state1[order], t1[order]
    muni = np.concatenate([muni0, muni1]).astype(np.int64)
    state = np.concatenate([state0, state1]).astype(np.int64)
    reg = np.concatenate([np.zeros(len(muni0)), t1])
    step = np.asarray(sp.step_days, dtype=np.int64)[state]
    stay = rng.standard_exponential(len(muni)) * np.asarray(sp.mean_days)[state]
    phase = rng.random(len(muni))
    first = np.where(
        np.arange(len(muni)) < len(muni0), np.floor(phase * step), np.floor(reg) + step
    ).astype(np.int64)
    dp, minutes, site = pick_places(muni, rng.random((len(muni), 3)))
    n = len(muni)
    return {
        "reg": reg,
        "exit": reg + stay,
        "muni": muni,
        "line": np.asarray(sp.line, dtype=np.int64)[state],
        "dp": dp,
        "minutes": minutes,
        "remote": rng.random(n) < p.remote_share,
        "age": np.full(n, STATE_AGE, dtype=np.int64),
        "foreign": np.zeros(n, dtype=bool),
        "partially_able": np.zeros(n, dtype=bool),
        "first_due": first,
        "source": np.where(reg > 0, Source.INFLOW, Source.STOCK).astype(np.int64),
        "site": site,
        "state": state + 1,
    }
