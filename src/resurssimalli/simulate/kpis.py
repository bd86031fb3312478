"""KPIs per replication and month, as a long table
``scenario, replication, month, month_index, kpi, group, value`` (``month`` is the calendar month
``YYYY-MM``; ``month_index`` counts from 0 at the horizon start).

* ``initial_interview_on_time_share`` — of the new customers whose interview deadline falls in
  the month (and who were still registered on that day), the share interviewed by the deadline;
  groups ``all``, municipalities and the interview queues (``queue:<area>``, ``queue:integration``).
* ``initial_interview_wait_days_mean`` / ``_p90`` — working days from registration to the
  interview, over the interviews held in the month (NaN if none); ``all`` and municipalities.
* ``initial_interview_waits_censored`` (last month only) — customers still waiting for their
  interview when the run ends; their wait so far enters the last month's wait KPIs (a lower
  bound), so no customer is dropped. ``initial_interviews_pending`` (last month only) — those of
  them whose deadline falls after the horizon (not yet judged on time).
* ``initial_interviews_waiting`` — month-end registered customers not yet interviewed; ``all``.
* ``conversations_on_time_share`` — of the job-search conversations whose deadline (due date +
  ``service.conversation_grace_working_days``) falls in the month, the share held by it (a
  customer who leaves or is still waiting past the deadline counts as late); ``all``, lines
  and ``area:<area>``.
* ``demand_to_capacity`` — (minutes of work done in the month + work waiting at month end: due
  conversations, interviews not yet held, employer requests) / on-duty minutes; above 1 the
  month's work cannot be done in its on-duty time; ``all``.
* ``overdue_conversations`` — month-end backlog: customers whose booked conversation is more
  than ``service.conversation_grace_working_days`` working days past due; ``all`` and lines.
* ``caseload_per_coach`` — month-end customers with a named coach per coach HTV; ``all`` and lines.
* ``staff_utilisation`` — (meetings + indirect work + employer requests) / on-duty minutes in
  the month; ``all``, service lines (with ``employer_services``) and ``area:<area>``.
* ``stock`` — month-end job seekers; ``all``, municipalities, lines and the plan's groups
  (``under_30``, ``over_50``, ``long_term`` — spell past 12 months —, ``partially_able``,
  ``foreign``) area-wide and per municipality as ``<group>:<municipality>``.
* ``spells_past_3_months_share`` — of the customers who registered in the month, the share still
  unemployed three months later; only months whose three-month follow-up ends inside the run;
  ``all`` and municipalities.
* ``customer_travel_minutes`` — customers' round-trip car minutes to face-to-face meetings in
  the month; ``all`` and municipalities.
* ``registrations_uncovered_by_plan`` — of the month's new face-to-face customers, the expected
  number whose demand point's visits the plan left without a site in reach (the optimiser's
  ``(uncovered)`` access rows; the simulation serves them at the nearest open site); ``all`` and
  municipalities. 0 for a plan that covers every visit.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from resurssimalli.scenario.demand import DAYS_PER_MONTH
from resurssimalli.scenario.states import STATES
from resurssimalli.simulate.attributes import AGE_GROUPS, STOCK_GROUPS
from resurssimalli.simulate.entries import Source
from resurssimalli.simulate.kpi_table import (
    COLUMNS,  # noqa: F401 (the KPI table's columns, imported from here)
    KpiRows,
    Part,
    attribute_column,
    row_sums,
    rows_frame,
    section,
)
from resurssimalli.simulate.model import ReplicationOutput
from resurssimalli.simulate.params import EMPLOYER_LINE, LINES, SimParams


def customer_table(p: SimParams, out: ReplicationOutput) -> pd.DataFrame:
    """One row per customer of the run (stock and new registrations; ``source`` is ``state`` and
    ``state`` names it for a customer state beyond the unemployed, customer_states.py)."""
    cs = out.customers
    return pd.DataFrame(
        {
            "customer": [c.id for c in cs],
            "source": [c.source.label if c.state == 0 else "state" for c in cs],
            "state": [STATES[c.state] for c in cs],
            "municipality": [p.municipalities[c.muni] for c in cs],
            "line": [LINES[c.line0] for c in cs],
            "line_now": [LINES[c.line] for c in cs],
            "registered": [c.reg for c in cs],
            "exit": [c.exit for c in cs],
            "deadline_day": [c.deadline for c in cs],
            "interview_day": [c.interview_day for c in cs],
            "remote": [c.remote for c in cs],
            "age_group": [AGE_GROUPS[c.age] for c in cs],
            "foreign": [c.foreign for c in cs],
            "partially_able": [c.partially_able for c in cs],
            "travel_minutes_one_way": [c.minutes for c in cs],
        }
    )


def queue_names(p: SimParams) -> list[str]:
    """Group names of the initial-interview queues: ``queue:<area>`` (the area's coaches) or
    ``queue:integration`` (the integration team; ``queue:integration:<area>`` if several)."""
    line = np.array(p.coach_line)
    integ = [i for i, pool in enumerate(p.pools) if all(line[c] == "integration" for c in pool)]
    names = []
    for i, pool in enumerate(p.pools):
        area = p.areas[p.coach_area[pool[0]]]
        if i in integ:
            names.append("queue:integration" if len(integ) == 1 else f"queue:integration:{area}")
        else:
            names.append(f"queue:{area}")
    return names


def kpi_rows(p: SimParams, out: ReplicationOutput) -> KpiRows:
    """The KPIs of one replication: the new customers' rows for every month, then month by
    month the staff and capacity rows."""
    M = p.calendar.months
    return _customer_rows(p, out) + section(_staff_parts(p, out) + _capacity_parts(p, out), M)


def kpi_frame(p: SimParams, out: ReplicationOutput, replication: int) -> pd.DataFrame:
    """The KPI table of one replication."""
    return rows_frame(p, kpi_rows(p, out), replication)


def _new_customer_columns(p: SimParams, out: ReplicationOutput) -> dict[str, np.ndarray]:
    """Per new customer (not the starting stock): the month each interview KPI counts it in, and
    what it counts (-1 or M for a month outside the KPI months)."""
    cal = p.calendar
    M = cal.months
    n_days = cal.n_days
    kpi_month = cal.kpi_month

    stock = Source.STOCK  # a local: the enum's attribute lookup per customer cost more than the test
    new = [c for c in out.customers if c.source != stock and c.state == 0]  # the states have no interview
    ids = attribute_column(new, "id", np.int64)
    fixed = out.fixed
    muni, reg = fixed.muni[ids], fixed.reg[ids]
    reg_day = np.floor(reg).astype(np.int64)
    exit_ = attribute_column(new, "exit", float)
    deadline = attribute_column(new, "deadline", np.int64)
    iv = attribute_column(new, "interview_day", np.int64)

    # on time: deadlines falling inside the horizon; exits before the deadline day ends are excluded
    held = iv >= 0
    judged = (deadline < n_days) & (held | (exit_ >= deadline + 1))
    dl_month = np.where(deadline < len(kpi_month), kpi_month[np.minimum(deadline, len(kpi_month) - 1)], M)
    wait = np.where(held, cal.wd_upto[np.maximum(iv, 0)] - cal.wd_upto[np.clip(reg_day, 0, None)], -1)
    iv_month = np.where(held, kpi_month[np.maximum(iv, 0)], -1)
    # still waiting at the horizon end: the wait so far enters the last month (right-censored)
    censored = ~held & (exit_ >= n_days) & (reg_day < n_days)
    wait = np.where(censored, cal.wd_upto[n_days - 1] - cal.wd_upto[np.clip(reg_day, 0, n_days - 1)], wait)
    uncovered_share = np.asarray(p.uncovered_share, dtype=float)  # per demand point
    return {
        "muni": muni,
        "queue": np.array(p.pool_for, dtype=np.int64)[np.asarray(p.muni_area)[muni], fixed.line[ids]],
        "dl_month": np.where(judged, dl_month, -1),
        "on_time": held & (iv <= deadline),
        "wait": wait,
        "iv_month": np.where(held | censored, np.where(censored, M - 1, iv_month), -1),
        "censored": censored,
        "pending": censored & (deadline >= n_days),  # deadline after the horizon: not judged on time yet
        "cohort_month": np.where(reg_day >= 0, kpi_month[np.clip(reg_day, 0, None)], -1),
        "past3": (exit_ - reg) > 3 * DAYS_PER_MONTH,
        "uncovered": np.where(fixed.remote[ids], 0.0, uncovered_share[fixed.dp[ids]]),
    }


def _counts(
    month: np.ndarray, group: np.ndarray, n_groups: int, M: int, where: np.ndarray | None = None
) -> np.ndarray:
    """[month, group] number of customers (``where`` true) by month 0..M-1 and group."""
    sel = (month >= 0) & (month < M)
    if where is not None:
        sel &= where
    return np.bincount(month[sel] * n_groups + group[sel], minlength=M * n_groups).reshape(M, n_groups)


def _with_all(by_muni: np.ndarray) -> np.ndarray:
    """[month, muni] counts or exact sums → [month, "all" + munis]."""
    return np.column_stack([row_sums(by_muni), by_muni])


def _share(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den as ``x[mask].mean()`` gives it for boolean x (NaN where den is 0)."""
    out = np.full(den.shape, np.nan)
    np.divide(num, den, out=out, where=den > 0)
    return out


def quantile_by(keys: np.ndarray, values: np.ndarray, n_keys: int, q: float) -> np.ndarray:
    """``np.quantile(values[keys == j], q)`` for every j in 0..n_keys-1 (NaN where none), all at
    once with numpy's own arithmetic for its default method ("linear"): the same bits."""
    order = np.lexsort((values, keys))
    v = values[order]
    n = np.bincount(keys, minlength=n_keys)
    start = np.cumsum(n) - n
    out = np.full(n_keys, np.nan)
    has = n > 0
    n, start = n[has], start[has]
    vi = (n - 1) * np.float64(q)
    prev = np.floor(vi)
    top = vi >= n - 1  # numpy takes the largest value (index -1) for both neighbours
    prev[top] = -1
    gamma = vi - prev.astype(np.intp)
    lo = np.where(top, start + n - 1, start + prev.astype(np.intp))
    hi = np.where(top, start + n - 1, lo + 1)
    a, b = v[lo], v[hi]
    diff = b - a
    res = a + diff * gamma
    upper = gamma >= 0.5
    res[upper] = (b - diff * (1 - gamma))[upper]
    out[has] = res
    return out


def _customer_rows(p: SimParams, out: ReplicationOutput) -> KpiRows:
    """Initial interviews (on time, waits, censored, pending) and spells, by month of the new customers."""
    cal = p.calendar
    M, nm = cal.months, len(p.municipalities)
    x = _new_customer_columns(p, out)
    muni = x["muni"]
    groups = ("all", *p.municipalities)
    queues = tuple(queue_names(p))  # the interview queue a customer waits in (where a miss is fixed)
    nq = len(queues)
    judged_q = _counts(x["dl_month"], x["queue"], nq, M)
    on_q = _share(_counts(x["dl_month"], x["queue"], nq, M, x["on_time"]), judged_q)
    judged = _with_all(_counts(x["dl_month"], muni, nm, M))
    on_time = _share(_with_all(_counts(x["dl_month"], muni, nm, M, x["on_time"])), judged)
    waits = _wait_stats(x, nm, M)
    cohort = _with_all(_counts(x["cohort_month"], muni, nm, M))
    spells = _share(_with_all(_counts(x["cohort_month"], muni, nm, M, x["past3"])), cohort)
    uncovered = _sums_by_month_group(x["cohort_month"], muni, x["uncovered"], nm, M)
    censored = _with_all(np.bincount(muni[x["censored"]], minlength=nm)[None, :])
    pending = _with_all(np.bincount(muni[x["pending"]], minlength=nm)[None, :])
    last = np.arange(M) == M - 1  # the censored and pending counts: last month only
    follow_ok = np.array([cal.month_start_days[k + 1] + 3 * DAYS_PER_MONTH <= cal.n_days for k in range(M)])
    per_group = (
        Part("initial_interview_on_time_share", groups, on_time),
        Part("initial_interview_wait_days_mean", groups, waits[0]),
        Part("initial_interview_wait_days_p90", groups, waits[1]),
        Part("initial_interview_waits_censored", groups, np.repeat(censored, M, axis=0), last),
        Part("initial_interviews_pending", groups, np.repeat(pending, M, axis=0), last),
        Part("registrations_uncovered_by_plan", groups, uncovered),
        Part("spells_past_3_months_share", groups, spells, follow_ok),
    )
    return section([Part("initial_interview_on_time_share", queues, on_q), per_group], M)


def _wait_stats(x: dict[str, np.ndarray], nm: int, M: int) -> tuple[np.ndarray, np.ndarray]:
    """[month, "all" + munis] mean and 90th percentile of the waits counted in each month."""
    month, muni, wait = x["iv_month"], x["muni"], x["wait"]
    sel = (month >= 0) & (month < M)
    month, muni, wait = month[sel], muni[sel], wait[sel]
    n = _with_all(_counts(month, muni, nm, M))
    # the waits are whole working days: their sums are exact in any order, as in ``w.mean()``
    total = np.bincount(month * nm + muni, weights=wait.astype(float), minlength=M * nm)
    total = _with_all(total.reshape(M, nm))
    keys = np.concatenate([month * (nm + 1), month * (nm + 1) + 1 + muni])
    p90 = quantile_by(keys, np.concatenate([wait, wait]), M * (nm + 1), 0.9).reshape(M, nm + 1)
    return _share(total, n), p90


def _sums_by_month_group(month: np.ndarray, muni: np.ndarray, v: np.ndarray, nm: int, M: int) -> np.ndarray:
    """[month, "all" + munis] ``v[mask].sum()``: each sum runs over the same values in the same
    order as the masked array would hold them (a stable sort), so numpy's pairwise sum gives the
    same bits. A cell whose values are all zero sums to the 0.0 it starts with (every cell of a
    plan that covers all visits): only the others are summed."""
    out = np.zeros((M, nm + 1))
    idx = np.flatnonzero((month >= 0) & (month < M))
    if not v[idx].any():
        return out
    for by_muni in (False, True):
        key = month[idx] * nm + muni[idx] if by_muni else month[idx]
        order = np.argsort(key, kind="stable")
        vals = v[idx[order]]
        bounds = np.searchsorted(key[order], np.arange((M * nm if by_muni else M) + 1))
        for j in np.unique(key[order][vals != 0]):
            cell = (j // nm, 1 + j % nm) if by_muni else (j, 0)
            out[cell] = vals[bounds[j] : bounds[j + 1]].sum()
    return out


def _staff_parts(p: SimParams, out: ReplicationOutput) -> list[Part]:
    """Month-end backlogs, caseload, stock and travel, and the month's staff utilisation."""
    munis = p.municipalities
    M = p.calendar.months
    fte = list(zip(p.coach_fte, p.coach_line, strict=True))
    line_htv = [sum(f for f, cl in fte if cl == line) for line in LINES]
    htv = np.array([sum(line_htv), *line_htv], dtype=float)  # "all" and lines
    caseload = np.full((M, len(htv)), np.nan)
    np.divide(_with_all(out.caseload_line), htv, out=caseload, where=htv != 0)
    sg = out.stock_group  # [month, muni, group]
    stock_groups = (*STOCK_GROUPS, *(f"{g}:{name}" for name in munis for g in STOCK_GROUPS))
    stock = np.column_stack([_with_all(out.stock_muni), out.stock_line, sg.sum(axis=1), sg.reshape(M, -1)])
    stock_names: tuple[str, ...] = ("all", *munis, *LINES, *stock_groups)
    if p.states is not None:  # job seekers by customer state (customer_states.py), area-wide
        stock = np.column_stack([stock, out.stock_state.sum(axis=1)])
        stock_names = (*stock_names, *(f"state:{x}" for x in STATES))
    return [
        Part("overdue_conversations", ("all", *LINES), _with_all(out.overdue_line)),
        Part("caseload_per_coach", ("all", *LINES), caseload),
        Part("stock", stock_names, stock),
        Part("customer_travel_minutes", ("all", *munis), _with_all(out.travel_muni)),
        _utilisation(p, out),
    ]


def _utilisation(p: SimParams, out: ReplicationOutput) -> Part:
    """Staff utilisation: all coaches, each line (employer services too) and each area that has coaches.

    Each sum is :func:`row_sums` of a [month, coach] copy: ``used[sel, k].sum()``'s bits."""
    cl, ca = np.array(p.coach_line), np.array(p.coach_area)
    groups, sels = ["all"], [np.ones(len(cl), dtype=bool)]
    for line in (*LINES, EMPLOYER_LINE):
        if (cl == line).any():
            groups.append(line)
            sels.append(cl == line)
    for a, area in enumerate(p.areas):
        if (ca == a).any():
            groups.append(f"area:{area}")
            sels.append(ca == a)
    used, available = out.used.T, out.available.T  # [month, coach]
    util = [_share(row_sums(used[:, sel]), row_sums(available[:, sel])) for sel in sels]
    return Part("staff_utilisation", tuple(groups), np.column_stack(util))


def _capacity_parts(p: SimParams, out: ReplicationOutput) -> list[Part]:
    """Cadence, interview backlog and work demanded against on-duty time, by month."""
    conv = np.column_stack(
        [
            _share(row_sums(out.conv_on_time_line), row_sums(out.conv_due_line)),
            _share(out.conv_on_time_line, out.conv_due_line),
            _share(out.conv_on_time_area, out.conv_due_area),
        ]
    )
    conv_names: tuple[str, ...] = ("all", *LINES, *(f"area:{a}" for a in p.areas))
    if p.states is not None:  # by customer state (customer_states.py)
        conv = np.column_stack([conv, _share(out.conv_on_time_state, out.conv_due_state)])
        conv_names = (*conv_names, *(f"state:{x}" for x in STATES))
    demanded = row_sums(out.used.T) + out.backlog_minutes
    return [
        Part("conversations_on_time_share", conv_names, conv),
        Part("initial_interviews_waiting", ("all",), out.interviews_waiting[:, None]),
        Part("demand_to_capacity", ("all",), _share(demanded, row_sums(out.available.T))),
    ]
