"""Use cases: one eventsourcing Application per aggregate family, process managers, ports."""
