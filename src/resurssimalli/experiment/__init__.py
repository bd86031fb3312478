"""Stage 5 — experiment: sweeps over scenarios × replications, the stress loop, the robust plan."""
