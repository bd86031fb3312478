"""Every numerical tolerance of the model, in one place, each with what it is room for.

Two kinds live here: *input* tolerances (how far a published or typed figure may be from the
value a rule expects: shares summing to one, a plan's HTV against the budget) and *solver*
tolerances (how far a solver's floating-point answer may be from the exact one before it counts
as a difference). None of them is a modelling choice; change one only with the test it guards.
"""

from __future__ import annotations

# --- inputs ----------------------------------------------------------------------------------
SHARE_SUM = 1e-3  # shares (customer shares of a municipality, monthly factors' mean) sum to 1 within this
PLAN_SHARE = 1e-3  # an allocation's access shares: each <= 1 and per point summing to 1 within this
HTV = 1e-6  # a plan's HTV against the staff budget
PUBLISHED_TOTAL = 1e-9  # a published table's total against the sum of its cells (exact counts)

# --- optimiser ----------------------------------------------------------------------------------
DEFAULT_REL_GAP = 1e-4  # HiGHS's own default mip_rel_gap
TIME_EPS = 1e-9  # minutes: a trip exactly at the limit is within it
COVERAGE_VISITS = 1e-6  # visits a year: the coverage floor's numerical room
COST_REL = 1e-9  # the cost may exceed its optimum by this share in the tie-break (numerical room only)
DUAL_EPS = 1e-9  # a dual above this binds the row in every optimum (complementary slackness)
LEVEL_SLACK = 1e-9  # a frozen share is held at its level less this (numerical room)
NOISE_REL = 1e-6  # unserved hours below this share of the workload are solver noise, reported as 0
REDUCED_COST_EPS = 1e-6  # EUR: a reduced cost below minus this could lower the LP's cost
VALUE_EPS = 1e-7  # a variable's value below this is read as 0
VISIT_NOISE = 1e-4  # uncovered visits a year below this are solver noise (the coverage floor's room)
HOURS_NOISE = 1e-6  # hours (or HTV) below this are nothing: no unserved work, no post

# --- sensitivity ----------------------------------------------------------------------------------
EFFECT_REL = 1e-6  # an assumption's importance below this share of the output's largest is solver noise: 0
