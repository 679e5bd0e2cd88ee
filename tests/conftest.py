"""Test-wide settings: hypothesis profiles (`ci` deterministic, the default; `dev` wider) and
a headless matplotlib backend."""
from __future__ import annotations

import os

os.environ.setdefault("MPLBACKEND", "Agg")

try:
    from hypothesis import HealthCheck, settings
except ImportError:  # hypothesis is a test extra; suites that need it import it themselves
    settings = None

if settings is not None:
    settings.register_profile("ci", derandomize=True, deadline=None, max_examples=15,
                              database=None, print_blob=True,
                              suppress_health_check=[HealthCheck.too_slow])
    settings.register_profile("dev", deadline=None, max_examples=100, print_blob=True)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
