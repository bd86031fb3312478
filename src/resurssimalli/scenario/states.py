"""Customer states beyond the unemployed: who the official snapshot's other job seekers are, the
service each state gets and how people leave it. One rule, used by the demand model (the
optimiser's work), the calibration appendix and the scenario files.

StatFin table 12r5 splits a municipality's job seekers (``HAKIJALOPUSSA``) at the month's end into
the unemployed (``TYOTTOMATLOPUSSA``, which by the statistics' definition include the fully laid
off, ``LOMAUTETTU``), people in services by kind (``TYOLLISTETTYLOP`` subsidised work,
``TYOHARJOITTELULOP`` work-life coaching, ``KOKEILULOP`` work and training trials,
``TVKOULUTUSLOP`` labour-market training, ``VALMENNUSLOP`` coaching, ``MTPPALVELUTLOP`` other
services) and the rest, employed job seekers (including those on a shortened week). The states
are disjoint and add up to the job seekers:

* ``unemployed`` — unemployed less the laid off: the service lines' customers (customers.py);
* ``laid_off`` — the fully laid off;
* one state per service kind;
* ``employed`` — job seekers less the unemployed and those in services.

With ``demand.jobseekers.use: counts`` the snapshot's counts are the stock; with ``ratios`` the
stock period's unemployed stay as the plan has them (the laid off among them) and each state
outside unemployment is the snapshot's ratio of that state to the unemployed, per municipality,
times them (an estimate).

Each state has its service (``service.states``: a meeting every ``interval_months`` of
``meeting_minutes`` with a coach of ``line``, and ``coach_hours_per_year`` of work between
meetings) and its flows: a stay of ``mean_months`` on average (exits at the rate 1/mean_months),
``to_unemployed`` of the exits returning to unemployment (a service ends → unemployed), the rest
to work or out of the register (a service ends → employed; a layoff ends → back to work).
Entries are calibrated so each state's stock holds without structural change
(:func:`state_flows`): entries a month = stock / mean_months. Those who return to unemployment
are among the unemployed's registrations, and those who enter a service among their exits, which
``resurssimalli calibrate`` fits to hold the unemployed stock, so the unemployed stay as fitted.
"""

from __future__ import annotations

import pandas as pd

from resurssimalli.scenario.load import Scenario
from resurssimalli.scenario.schema import OTHER_STATES as _SCHEMA_STATES
from resurssimalli.units import MINUTES_PER_HOUR

UNEMPLOYED = "unemployed"
LAID_OFF = "laid_off"
EMPLOYED = "employed"
SERVICE_MEASURES = {
    "subsidised_work": "TYOLLISTETTYLOP",
    "work_coaching": "TYOHARJOITTELULOP",
    "trial": "KOKEILULOP",
    "training": "TVKOULUTUSLOP",
    "coaching": "VALMENNUSLOP",
    "other_services": "MTPPALVELUTLOP",
}
# the states outside the service lines (the schema's list: laid off, employed, the service kinds)
OTHER_STATES: tuple[str, ...] = _SCHEMA_STATES
STATES: tuple[str, ...] = (UNEMPLOYED, *OTHER_STATES)
JOBSEEKERS, ALL_UNEMPLOYED, LAID_OFF_MEASURE = "HAKIJALOPUSSA", "TYOTTOMATLOPUSSA", "LOMAUTETTU"
STATE_NAMES = {
    "fi": {
        UNEMPLOYED: "työttömät (ei lomautetut)",
        LAID_OFF: "lomautetut",
        EMPLOYED: "työlliset työnhakijat",
        "subsidised_work": "palkkatuki ja muu työllistäminen",
        "work_coaching": "työharjoittelu, työelämävalmennus",
        "trial": "työ- ja koulutuskokeilu",
        "training": "työvoimakoulutus",
        "coaching": "valmennus",
        "other_services": "muut palvelut",
    },
    "en": {
        UNEMPLOYED: "unemployed (not laid off)",
        LAID_OFF: "laid off",
        EMPLOYED: "employed job seekers",
        "subsidised_work": "subsidised work",
        "work_coaching": "work-life coaching",
        "trial": "work and training trial",
        "training": "labour-market training",
        "coaching": "coaching",
        "other_services": "other services",
    },
}


def snapshot_states(counts: pd.DataFrame) -> pd.DataFrame:
    """Municipality × state counts of a snapshot (disjoint; they add up to the job seekers)."""
    out = pd.DataFrame(index=counts.index)
    out[UNEMPLOYED] = counts[ALL_UNEMPLOYED] - counts[LAID_OFF_MEASURE]
    out[LAID_OFF] = counts[LAID_OFF_MEASURE]
    services = pd.DataFrame({s: counts[m] for s, m in SERVICE_MEASURES.items()})
    out[EMPLOYED] = (counts[JOBSEEKERS] - counts[ALL_UNEMPLOYED] - services.sum(axis=1)).clip(lower=0.0)
    out[list(SERVICE_MEASURES)] = services
    return out[list(STATES)]


def state_stock(scenario: Scenario) -> pd.DataFrame | None:
    """Municipality × state starting stock of a scenario with ``demand.jobseekers`` (else None).

    ``counts``: the snapshot's states. ``ratios``: the stock period's unemployed as the plan counts
    them (the laid off among them, served as unemployed), and every state outside unemployment at
    the snapshot's ratio to the unemployed, per municipality (an estimate).
    """
    snap, js = scenario.jobseekers, scenario.config.demand.jobseekers
    if snap is None or js is None:
        return None
    states = snapshot_states(snap.counts)
    if js.use == "counts":
        return states.reindex(sorted(states.index))
    lm = scenario.region.labour_market
    period = scenario.config.demand.stock_period
    plan = pd.Series({m: lm.value("unemployed", period, m) for m in states.index}, dtype="float64")
    ratio = states.div(snap.counts[ALL_UNEMPLOYED].where(snap.counts[ALL_UNEMPLOYED] > 0), axis=0).fillna(0.0)
    out = ratio.mul(plan, axis=0)
    out[UNEMPLOYED], out[LAID_OFF] = plan, 0.0  # the plan's unemployed as it counts them, laid off among them
    return out.reindex(sorted(states.index))


def unemployed_scale(scenario: Scenario) -> pd.Series | None:
    """Per municipality: the service lines' unemployed over the stock period's (None without
    ``demand.jobseekers``): the laid off leave the lines for a state of their own, and with
    ``counts`` the snapshot's unemployed replace the stock period's."""
    stock = state_stock(scenario)
    if stock is None:
        return None
    lm = scenario.region.labour_market
    period = scenario.config.demand.stock_period
    plan = pd.Series({m: lm.value("unemployed", period, m) for m in stock.index}, dtype="float64")
    return stock[UNEMPLOYED] / plan


def state_flows(scenario: Scenario) -> pd.DataFrame:
    """Per municipality × other state: stock, entries and exits a year (calibrated to hold the
    stock), exits back to unemployment, meetings and coach hours a year, and the serving line.

    Empty without ``demand.jobseekers``."""
    cols = [
        "municipality",
        "state",
        "service_line",
        "stock",
        "entries_per_year",
        "to_unemployed_per_year",
        "to_work_per_year",
        "meetings_per_year",
        "hours_per_year",
    ]
    stock = state_stock(scenario)
    if stock is None:
        return pd.DataFrame(columns=cols)
    svc = scenario.config.service.states
    rows = []
    for m in stock.index:
        for s in OTHER_STATES:
            st, n = svc[s], float(stock.loc[m, s])
            entries = n * 12.0 / st.mean_months
            meetings = n * 12.0 / st.interval_months
            hours = meetings * st.meeting_minutes / MINUTES_PER_HOUR + n * st.coach_hours_per_year
            rows.append(
                (
                    m,
                    s,
                    st.line,
                    n,
                    entries,
                    entries * st.to_unemployed,
                    entries * (1 - st.to_unemployed),
                    meetings,
                    hours,
                )
            )
    return pd.DataFrame(rows, columns=cols)


def source_of(state: str) -> str:
    """The demand projection's ``source`` of a state's rows."""
    return f"state:{state}"
