"""StatFin table 12r5: the four PxWeb formats import to identical frames; broken files are refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from resurssimalli.data.jobseekers import (
    CREDIT,
    METADATA_FILE,
    SUPPRESSED_MAX,
    SUPPRESSED_MIN,
    import_tables,
    load_snapshot,
    municipality_codes,
    region_snapshot,
)
from resurssimalli.data.statfin import read_table
from resurssimalli.errors import InputError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "statfin"
FORMATS = {
    "json-stat2": FIXTURES / "12r5_2026M06.json-stat2",
    "csv": FIXTURES / "12r5_2026M06.csv",
    "px": FIXTURES / "12r5_2026M06.px",
}
SHIPPED_SNAPSHOT = METADATA_FILE.parent / "jobseekers_12r5_2026-06.csv"
MUNICIPALITIES = list(municipality_codes())


@pytest.fixture(scope="module")
def shipped():
    return read_table(METADATA_FILE)


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_imports_to_the_same_frame(shipped, fmt):
    other = read_table(FORMATS[fmt])
    assert other.format == fmt
    pd.testing.assert_frame_equal(other.values, shipped.values)
    assert (other.table, other.updated, other.measures) == (shipped.table, shipped.updated, shipped.measures)
    assert other.source == shipped.source == "KEHA-keskus, Työnvälitystilasto"


def test_shipped_table_reads_from_its_metadata(shipped):
    assert shipped.table == "12r5" and shipped.months == ["2026-06"]
    assert shipped.updated == "2026-07-21T05:00:00Z"
    doc = json.loads(METADATA_FILE.read_text(encoding="utf-8"))
    suppressed = sum(v == "..." for r in doc["data"] for v in r["values"])
    assert suppressed > 0 and int(shipped.values.iloc[:, 2:].isna().sum().sum()) == suppressed
    # the measures are the file's own codes and labels, in its order
    assert list(shipped.measures) == [c["code"] for c in doc["columns"] if c["type"] == "c"]


def test_region_sums_and_fills_suppressed_cells(shipped):
    snap = region_snapshot(shipped, "2026-06")
    assert snap.total["HAKIJALOPUSSA"] == 3979 and snap.total["TYOTTOMATLOPUSSA"] == 2373
    raw = shipped.values.set_index("area_code")
    codes = municipality_codes()
    for m, code in codes.items():
        for measure in snap.counts.columns:
            value, was = raw.loc[code, measure], snap.filled.loc[m, measure]
            assert was == pd.isna(value)
            if was:
                assert SUPPRESSED_MIN <= snap.counts.loc[m, measure] <= SUPPRESSED_MAX
            else:
                assert snap.counts.loc[m, measure] == value
    assert snap.filled.to_numpy().sum() > 0
    assert "TYOTOSUUS" not in snap.counts.columns  # a share is not summed into the region


def test_shipped_snapshot_is_what_the_import_gives(shipped):
    loaded = load_snapshot(SHIPPED_SNAPSHOT, "2026-06", MUNICIPALITIES)
    fresh = region_snapshot(shipped, "2026-06")
    pd.testing.assert_frame_equal(loaded.counts.loc[fresh.counts.index], fresh.counts, check_names=False)
    assert loaded.filled.loc[fresh.filled.index].equals(fresh.filled)
    assert (loaded.table, loaded.updated, loaded.source) == ("12r5", "2026-07-21T05:00:00Z", shipped.source)
    assert CREDIT in SHIPPED_SNAPSHOT.read_text(encoding="utf-8")


def test_same_month_in_two_formats_must_agree(tmp_path):
    assert len(import_tables([METADATA_FILE, FORMATS["px"]])) == 1
    doc = json.loads(FORMATS["json-stat2"].read_text(encoding="utf-8"))
    doc["value"][doc["value"].index(1858)] = 1859  # Sastamala's job seekers
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError, match="month 2026-06"):
        import_tables([METADATA_FILE, changed])


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "resurssimalli.cli", "data", "import", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def _broken(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Tampered and truncated files, with the key the error must name."""
    out = {}
    text = METADATA_FILE.read_text(encoding="utf-8")
    (p := tmp_path / "cut.json").write_text(text[: len(text) // 2], encoding="utf-8")
    out["truncated json"] = (p, "valid JSON")
    (p := tmp_path / "word.json").write_text(text.replace('"1858"', '"many"', 1), encoding="utf-8")
    out["tampered value"] = (p, "KU790 HAKIJALOPUSSA")
    px = FORMATS["px"].read_bytes()
    (p := tmp_path / "cut.px").write_bytes(px[: len(px) - 400])
    out["truncated px"] = (p, "DATA")
    stat = json.loads(FORMATS["json-stat2"].read_text(encoding="utf-8"))
    stat["value"] = stat["value"][:-5]
    (p := tmp_path / "short.json").write_text(json.dumps(stat), encoding="utf-8")
    out["json-stat2 short of values"] = (p, "json-stat2")
    csv = (
        FORMATS["csv"]
        .read_text(encoding="utf-8-sig")
        .replace("Pitkäaikaistyöttömät (lkm.)", "Jotain muuta", 1)
    )
    (p := tmp_path / "renamed.csv").write_text(csv, encoding="utf-8")
    out["unknown csv column"] = (p, "Jotain muuta")
    return out


def test_broken_files_give_one_clear_error_and_write_nothing(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    for what, (path, key) in _broken(tmp_path).items():
        r = _cli(str(path), "--out", str(out), cwd=tmp_path)
        assert r.returncode == 2, (what, r.stderr)
        lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
        assert lines[0].startswith("error: ") and str(path.name) in r.stderr and key in r.stderr, (
            what,
            r.stderr,
        )
        assert "Traceback" not in r.stderr, what
        assert list(out.iterdir()) == [], what


def test_cli_writes_the_snapshot_and_never_overwrites(tmp_path):
    r = _cli(str(FORMATS["csv"]), "--out", str(tmp_path), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    written = tmp_path / "jobseekers_12r5_2026-06.csv"
    assert (
        written.read_text(encoding="utf-8").split("\n", 3)[3]
        == SHIPPED_SNAPSHOT.read_text(encoding="utf-8").split("\n", 3)[3]
    )
    again = _cli(str(METADATA_FILE), "--out", str(tmp_path), cwd=tmp_path)
    assert again.returncode == 2 and "exists" in again.stderr
