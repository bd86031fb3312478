"""Imported as a fork server's preload by tests/test_native.py: writes whether
:func:`resurssimalli.simulate.native.users_process` takes the fork server for the user's process."""

from __future__ import annotations

import os

from resurssimalli.simulate import native

with open(os.environ["RESURSSIMALLI_PROBE"], "w", encoding="utf-8") as f:
    f.write(str(native.users_process()))
