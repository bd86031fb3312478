"""Unit conversions used across the stages, defined once.

``DAYS_PER_YEAR`` is the Julian year (365.25 days): yearly rates become daily ones with it and a
month is a twelfth of it (``DAYS_PER_MONTH``), so rates and durations agree in every stage.
"""

from __future__ import annotations

MINUTES_PER_HOUR = 60.0
DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
WEEKS_PER_YEAR = 52.0

