"""The staff's tables of one replication: every person's minutes by kind of work (``posts``) and
their status day by day (``roster``). Utilisation by line or area follows from them: a person's
minutes split over their lines by share (the KPI ``staff_utilisation`` does the same)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from resurssimalli.simulate.model import WORK_KINDS, ReplicationOutput
from resurssimalli.simulate.params import SimParams
from resurssimalli.simulate.people import Person, describe
from resurssimalli.simulate.roster import STATUS_NAMES

POSTS_COLUMNS = [
    "replication", "person", "area", "lines", "fte", "on_duty_minutes",
    *(f"{k}_minutes" for k in WORK_KINDS), "idle_minutes", "utilisation",
]  # fmt: skip


def _person(p: SimParams, x: int) -> Person:
    return Person(x, p.person_area[x], p.person_ordinal[x], p.person_fte[x], p.person_shares[x])


def posts_frame(p: SimParams, out: ReplicationOutput, replication: int) -> pd.DataFrame:
    """One row per person: on-duty minutes over the KPI months, minutes by kind of work, idle
    minutes (on duty with no work waiting that they may serve) and utilisation (minutes worked,
    flexitime evened, over on-duty minutes)."""
    on_duty = out.person_available.sum(axis=1)
    worked = out.person_used.sum(axis=1)
    df = pd.DataFrame(out.person_minutes, columns=[f"{k}_minutes" for k in WORK_KINDS])
    df.insert(0, "on_duty_minutes", on_duty)
    df.insert(0, "fte", list(p.person_fte))
    df.insert(0, "lines", [describe(_person(p, x)) for x in range(p.n_people)])
    df.insert(0, "area", [p.areas[a] for a in p.person_area])
    df.insert(0, "person", [f"{p.areas[a]}#{k + 1}" for a, k in zip(p.person_area, p.person_ordinal, strict=True)])
    df.insert(0, "replication", replication)
    df["idle_minutes"] = np.maximum(on_duty - worked, 0.0)
    df["utilisation"] = np.divide(worked, on_duty, out=np.full(len(df), np.nan), where=on_duty > 0)
    return df[POSTS_COLUMNS]


def roster_frame(p: SimParams, out: ReplicationOutput, replication: int) -> pd.DataFrame:
    """One row per person and simulated working day: ``status`` (:data:`STATUS_NAMES`)."""
    cal = p.calendar
    days = np.flatnonzero(cal.working[: cal.n_days])
    st = out.status[:, days]
    n = p.n_people
    names = [f"{p.areas[a]}#{k + 1}" for a, k in zip(p.person_area, p.person_ordinal, strict=True)]
    start = np.datetime64(cal.sim_start, "D")
    return pd.DataFrame(
        {
            "replication": np.full(n * len(days), replication, dtype=np.int32),
            "person": pd.Categorical(np.repeat(names, len(days)), categories=names),
            "date": np.tile(start + days.astype("timedelta64[D]"), n),
            "status": pd.Categorical.from_codes(st.reshape(-1).astype(np.int64), categories=list(STATUS_NAMES)),
        }
    )
