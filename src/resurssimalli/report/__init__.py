"""Stage 6 — report: console summaries, memos, figures and workbooks built from results."""
