"""``python -m resurssimalli.cli``: the same as the ``resurssimalli`` command."""

from resurssimalli.cli import main

main()
