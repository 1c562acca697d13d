"""Issue 18's targets, in one place: each figure's module takes its own from here.

Ratios are of the baseline measured in the same run (in turns with Aries, see
`bench.report.alternate`); values are absolute, in the row's unit.
"""

from __future__ import annotations

from bench.report import Target

COMMAND_RATE = Target("higher", ratio=0.5)  # of the INSERT baseline
COMMAND_P99 = Target("lower", value=50)  # ms
QUERY_BY_ID_RATE = Target("higher", ratio=0.5)  # of the SELECT baseline
QUERY_PAGE_RATE = Target("higher", ratio=0.35)  # of the SELECT baseline
LAG_P50 = Target("lower", value=5)  # ms
LAG_P99 = Target("lower", value=20)  # ms
COMMITS_ACROSS_FAMILIES = Target("higher", value=2_500)  # commits/s, two processes
REBUILD = Target("higher", value=20_000)  # events/s, each projection over its own events
SUBMISSIONS = Target("higher", value=300)  # claims/s end to end through one worker process
SNAPSHOT_LOAD = Target("lower", value=5)  # ms
