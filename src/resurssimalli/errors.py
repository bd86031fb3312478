"""User-facing errors: each names the file, the key path and what was expected."""

from __future__ import annotations

from pathlib import Path


class ResurssimalliError(Exception):
    """Base class for errors the CLI reports without a traceback (exit code 2)."""

    exit_code = 2


class InputError(ResurssimalliError):
    """Bad input: a scenario, data table or workbook that does not meet its contract.

    The file, key path and expectation are shown as written but bounded in length, with control,
    bidi and other invisible characters as escapes (:func:`resurssimalli.safety.visible`): a
    message never replays a 100 MB cell nor moves the terminal's cursor."""

    def __init__(self, file: str | Path | None, key_path: str, expected: str) -> None:
        from resurssimalli.safety import visible

        self.file = visible(file, 500) if file is not None else "<input>"
        self.key_path = visible(key_path, 300) if key_path else "<root>"
        self.expected = visible(expected)
        super().__init__(f"{self.file}: {self.key_path}: {self.expected}")


class InputErrors(ResurssimalliError):
    """Several input errors found at once (reported together)."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class RunFolderExists(ResurssimalliError):
    """A run folder would be overwritten."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"{path}: run folder already exists; results are never overwritten "
            "(choose another --out or remove the folder yourself)"
        )


class ContradictoryRules(ResurssimalliError):
    """Hard rules of a scenario contradict each other (named in the planner's words)."""

    def __init__(self, scenario: str, rules: list[str], sets: list[list[str]] | None = None) -> None:
        self.rules = rules
        self.sets = sets if sets else [rules]
        if len(self.sets) == 1:
            lines = "\n".join(f"  - {r}" for r in self.sets[0])
            super().__init__(f"{scenario}: these hard rules contradict each other:\n{lines}")
            return
        blocks = "\n".join(
            f"  conflict {n}:\n" + "\n".join(f"    - {r}" for r in s) for n, s in enumerate(self.sets, 1)
        )
        super().__init__(f"{scenario}: {len(self.sets)} sets of hard rules contradict each other:\n{blocks}")
