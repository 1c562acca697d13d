"""The live projector's wake-up: a NOTIFY names the upstream that committed, and only that
upstream is read (read-your-writes waits for the batch, not for empty transactions on the
others); a poll that times out reads every upstream, so nothing waits on a missed NOTIFY."""

from __future__ import annotations

from typing import Any

import pytest

from projections import runner
from tests.conftest import eventually
from tests.integration.projection_support import save_widgets
from tests.integration.test_projection_framework import (  # noqa: F401 (fixtures)
    aries,
    db_url,
    index_rows,
    projector,
    tracking,
)

pytestmark = pytest.mark.integration


@pytest.fixture
def batches(monkeypatch) -> list[str]:
    """The upstream of every batch the projector runs, in order (the batches themselves run
    as they would: on the test database, through the real `apply_next_batch`)."""
    upstreams: list[str] = []
    apply = runner.apply_next_batch

    def recorded(conn: Any, projection: Any, upstream: str, *args: Any, **options: Any) -> Any:
        upstreams.append(upstream)
        return apply(conn, projection, upstream, *args, **options)

    monkeypatch.setattr(runner, "apply_next_batch", recorded)
    return upstreams


def test_a_notify_reads_only_the_upstream_that_committed(aries, batches):  # noqa: F811
    with projector(aries, ["event_index"], poll_interval=30) as outcome:
        # The session's first pass reads every upstream.
        eventually(lambda: tracking(aries, "event_index") == {"patients": 0, "orders": 0})
        assert batches == ["patients", "orders"]

        save_widgets(aries.applications["orders"], 1, 0)
        eventually(lambda: len(index_rows(aries)) == 1, timeout=5)
        save_widgets(aries.applications["patients"], 1, 1)
        eventually(lambda: len(index_rows(aries)) == 3, timeout=5)

        assert batches == ["patients", "orders", "orders", "patients"]
    assert outcome["failures"] == {}


def test_a_poll_without_notifications_reads_every_upstream(aries, batches):  # noqa: F811
    with projector(aries, ["event_index"], poll_interval=0.1) as outcome:
        eventually(lambda: len(batches) >= 6, timeout=5)
    assert batches[:6] == ["patients", "orders"] * 3
    assert outcome["failures"] == {}
