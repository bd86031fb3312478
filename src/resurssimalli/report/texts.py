"""The memo's texts (one fi/en table: ``texts.yaml`` and a section's own ``texts_<section>.yaml``)
and language-aware number formatting.

Finnish numbers use a decimal comma and a no-break space between thousands (``1 234,5``);
English ones a decimal point and a comma (``1,234.5``). :func:`parse_number` reads both back.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from resurssimalli.errors import InputError

LANGS = ("fi", "en")
SUPPRESSED = "…"
MISSING = "–"
NBSP = "\u00a0"


@cache
def _table() -> dict[str, Any]:
    path = resources.files("resurssimalli.report") / "texts.yaml"
    with path.open(encoding="utf-8") as fh:
        data = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml when built
    for extra in sorted(resources.files("resurssimalli.report").iterdir(), key=lambda p: p.name):
        if extra.name.startswith("texts_") and extra.name.endswith(".yaml"):  # a section's own texts
            with extra.open(encoding="utf-8") as fh:
                more = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            for key in more:
                if key in data:
                    raise InputError(str(extra), key, "a key not already in texts.yaml")
            data |= more
    for key, entry in data.items():
        if not isinstance(entry, dict) or set(entry) != set(LANGS):
            raise InputError(str(path), key, f"a text for each of {list(LANGS)}")
    return data


def text_keys() -> list[str]:
    """Every key of the texts table."""
    return list(_table())


@dataclass(frozen=True)
class Texts:
    """Texts and number formats of one language."""

    lang: str

    def __post_init__(self) -> None:
        if self.lang not in LANGS:
            raise InputError("--lang", "lang", f"one of {list(LANGS)}, got {self.lang!r}")

    def __call__(self, text_key: str, /, **values: Any) -> Any:
        entry = _table()[text_key][self.lang]
        return entry.format(**values) if values and isinstance(entry, str) else entry

    def name(self, prefix: str, value: str) -> str:
        """Translated name (``kind_office``) or the value itself if the table has none."""
        key = f"{prefix}_{value}"
        return self(key) if key in _table() else str(value)

    def count(self, noun: str, n: int) -> str:
        """``n`` things with the noun in the right form: ``1 palvelupiste``, ``2 palvelupistettä``."""
        one, many = self(f"count_{noun}")
        return (one if n == 1 else many).format(n=self.num(n, 0))

    # -- numbers ------------------------------------------------------------------------------
    def num(self, x: float | None, decimals: int = 0) -> str:
        """A number with thousands separators; ``–`` for missing values."""
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return MISSING
        s = f"{float(x):,.{decimals}f}"
        if s.startswith("-") and float(s.replace(",", "")) == 0:
            s = s[1:]
        if self.lang == "fi":
            s = s.replace(",", NBSP).replace(".", ",").replace("-", "−")
        return s

    def pct(self, share: float | None, decimals: int = 1) -> str:
        """A share 0..1 as a percentage."""
        if share is None or (isinstance(share, float) and math.isnan(share)):
            return MISSING
        n = self.num(100.0 * share, decimals)
        return f"{n}{NBSP}%" if self.lang == "fi" else f"{n}%"

    def month(self, label: str) -> str:
        """``2024-07`` as a calendar month in words (``July 2024``, ``heinäkuu 2024``)."""
        try:
            year, month = (int(x) for x in str(label).split("-")[:2])
        except ValueError:
            return str(label)
        return f"{self('month_names')[month - 1]} {year}"

    def ci(self, low: float | None, high: float | None, decimals: int) -> str:
        """A confidence interval, ``[a, b]`` (en) or ``[a; b]`` (fi)."""
        sep = "; " if self.lang == "fi" else ", "
        return f"[{self.num(low, decimals)}{sep}{self.num(high, decimals)}]"

    # -- dates --------------------------------------------------------------------------------
    def date(self, value: str | dt.date | None) -> str:
        """A date, ``1.8.2023`` (fi) or ``1 Aug 2023`` (en); ISO strings and datetimes are read."""
        if value is None or value == "":
            return MISSING
        d = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
        if self.lang == "fi":
            return f"{d.day}.{d.month}.{d.year}"
        return f"{d.day} {self('months_short')[d.month - 1]} {d.year}"



def parse_number(s: str, lang: str) -> float:
    """Read back a number written by :meth:`Texts.num` (percent signs are ignored)."""
    s = s.strip().rstrip("%").strip().replace("−", "-")
    if lang == "fi":
        s = s.replace(NBSP, "").replace("\u202f", "").replace(" ", "").replace(",", ".")
    else:
        s = s.replace(",", "")
    return float(s)
