"""The memo as a language-neutral document: sections of paragraphs, lists, tables and figures.

A :class:`Table` is declared by its :class:`Column` specs (header text and whether the column
is numeric) and its rows of already formatted cells; the renderers read ``header`` and
``numeric`` from the columns, so a table never repeats its header keys or a positional mask.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Column:
    """One table column: its header (already translated) and whether it holds numbers."""

    header: str
    numeric: bool = False


@dataclass(frozen=True)
class Table:
    """A table; ``total_row`` marks the last row as a total (set in bold, kept with the table)."""

    id: str
    caption: str
    columns: tuple[Column, ...]
    rows: list[list[str]]
    total_row: bool = False
    kind: str = "table"

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(
                    f"table {self.id}: a row has {len(row)} cells for {len(self.columns)} columns"
                )

    @property
    def header(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def numeric(self) -> list[bool]:
        return [c.numeric for c in self.columns]


@dataclass(frozen=True)
class Figure:
    key: str
    file: str
    caption: str
    kind: str = "figure"


@dataclass(frozen=True)
class Para:
    text: str
    kind: str = "p"


@dataclass(frozen=True)
class Bullets:
    items: list[str]
    kind: str = "list"


Block = Table | Figure | Para | Bullets


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    blocks: list[Block] = field(default_factory=list)


@dataclass(frozen=True)
class Memo:
    """The whole memo: the summary lines, the body sections and the appendices."""

    lang: str
    title: str
    subtitle: str
    byline: str
    summary_title: str
    summary: list[str]
    sections: list[Section]
    appendix_title: str = ""
    appendices: list[Section] = field(default_factory=list)

    def all_sections(self) -> list[Section]:
        return [*self.sections, *self.appendices]

    def tables(self) -> dict[str, Table]:
        return {b.id: b for s in self.all_sections() for b in s.blocks if isinstance(b, Table)}
