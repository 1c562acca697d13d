"""CPU seconds (user + system) spent by the processes of figure 7 over a run: `aries worker`,
the sandbox's check processes (its children), the bench process (the requests) and the
PostgreSQL backends serving the bench's database (found by the database name in their
process title; WAL writer and checkpointer are not counted). Wall-clock rates on a shared
2-core machine are noisy; CPU per claim is the work, whatever else runs."""

from __future__ import annotations

import psutil
from psycopg.conninfo import conninfo_to_dict

PARTS = ("worker", "sandbox", "bench", "postgres")


def _seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


class ProcessCpu:
    def __init__(self, worker_pid: int, database_url: str) -> None:
        self.worker = psutil.Process(worker_pid)
        self.bench = psutil.Process()
        self.database = str(conninfo_to_dict(database_url).get("dbname") or "")

    def own(self) -> float:
        """The bench process's CPU seconds so far: read apart from `sample`, whose walk over
        every process of the machine costs the bench tens of milliseconds."""
        return _seconds(self.bench)

    def sample(self) -> Sample:
        """Per part but the bench, each live process's CPU seconds so far, by pid."""
        got: dict[str, dict[int, float]] = {part: {} for part in PARTS}
        got["worker"][self.worker.pid] = _seconds(self.worker)
        for child in self.worker.children(recursive=True):
            try:
                got["sandbox"][child.pid] = _seconds(child)
            except psutil.Error:
                pass
        for process in psutil.process_iter(["name", "cmdline"]):
            try:
                title = " ".join(process.info["cmdline"] or ())
                if (process.info["name"] or "").startswith("postgres") and (
                    f" {self.database} " in f" {title} "
                ):
                    got["postgres"][process.pid] = _seconds(process)
            except psutil.Error:
                pass
        return got


Sample = dict[str, dict[int, float]]


def spent(before: Sample, after: Sample) -> dict[str, float]:
    """CPU seconds per part between two samples (a process started meanwhile counts from 0;
    one that ended meanwhile is lost, so a part's figure is a floor)."""
    return {
        part: sum(seconds - before[part].get(pid, 0.0) for pid, seconds in after[part].items())
        for part in PARTS
    }
