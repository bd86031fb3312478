"""Reading a memo.md table back in tests: the rows under ``<!-- table: ID -->`` (header and rule dropped)."""

from __future__ import annotations


def memo_table(memo: str, table_id: str) -> list[list[str]]:
    lines = memo.split(f"<!-- table: {table_id} -->", 1)[1].strip().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("|"))
    rows = []
    for ln in lines[start:]:
        if not ln.startswith("|"):
            break
        rows.append([c.strip() for c in ln.strip().strip("|").split("|")])
    return rows[2:]
