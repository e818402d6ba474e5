"""``python -m django_voiceotp.simulator``: see :mod:`django_voiceotp.simulator.cli`."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
