"""Report files: render a report in a format, keep it in `ops.report_files` until it expires,
and hand it back for download.

A file is kept `ARIES_REPORT_RETENTION_HOURS` after it was made (24 by default): long enough
to download after the job's notice, short enough that figures do not linger. The worker's
housekeeping deletes expired files (`purge_expired`); a download after that is a 410.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from interfaces.reports.pdf import to_pdf
from interfaces.reports.tabular import to_csv, to_xlsx
from interfaces.workers.tables import report_files
from projections.queries.local_today import AskedAt
from projections.queries.report_model import Report
from projections.queries.reports import build_report

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RENDERERS: dict[str, tuple[str, Callable[[Report], bytes]]] = {
    "csv": ("text/csv; charset=utf-8", to_csv),
    "xlsx": (XLSX, to_xlsx),
    "pdf": ("application/pdf", to_pdf),
}
FORMATS = tuple(RENDERERS)


@dataclass(frozen=True)
class ReportFile:
    filename: str
    media_type: str
    content: bytes


@dataclass(frozen=True)
class StoredReport:
    file: ReportFile
    kind: str
    expires_at: dt.datetime
    expired: bool


def render(report: Report, fmt: str) -> ReportFile:
    media_type, renderer = RENDERERS[fmt]
    return ReportFile(report.filename(fmt), media_type, renderer(report))


def generate(
    engine: Engine, kind: str, fmt: str, tenant_id: str, *, as_of: dt.date,
    start: dt.date | None = None, progress: Callable[[str], None] | None = None,
    asked: AskedAt | None = None,
) -> ReportFile:
    """Read the report's figures (one read-only transaction, so its sections agree) and
    render them; `progress` hears each step's name. `asked`: a report of today, whose claims
    count to today at their locations (`build_report`)."""
    step = progress or (lambda _: None)
    step("reading the read models")
    with engine.connect() as conn, conn.begin():
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        report = build_report(conn, kind, tenant_id, as_of=as_of, start=start, asked=asked)
    step(f"writing {fmt}")
    return render(report, fmt)


class ReportFileStore:
    def __init__(self, engine: Engine, retention: dt.timedelta) -> None:
        self.engine = engine
        self.retention = retention

    def keep(self, job_id: UUID, tenant_id: str, kind: str, fmt: str, file: ReportFile) -> None:
        """Keep the job's file (a redelivered job replaces it with the same figures)."""
        statement = pg_insert(report_files).values(
            job_id=job_id, tenant_id=tenant_id, kind=kind, format=fmt, filename=file.filename,
            media_type=file.media_type, content=file.content, size=len(file.content),
            expires_at=func.now() + self.retention,
        )
        statement = statement.on_conflict_do_update(
            index_elements=["job_id"],
            set_={name: statement.excluded[name] for name in
                  ("filename", "media_type", "content", "size", "expires_at")},
        )
        with self.engine.begin() as conn:
            conn.execute(statement)

    def get(self, job_id: UUID, tenant_id: str) -> StoredReport | None:
        """The tenant's file (another tenant's is indistinguishable from none)."""
        r = report_files.c
        with self.engine.connect() as conn:
            row = conn.execute(
                select(r.filename, r.media_type, r.content, r.kind, r.expires_at,
                       (r.expires_at <= func.now()).label("expired"))
                .where(r.job_id == job_id, r.tenant_id == tenant_id)
            ).first()
        if row is None:
            return None
        return StoredReport(ReportFile(row.filename, row.media_type, bytes(row.content)),
                            row.kind, row.expires_at, row.expired)

    def purge_expired(self) -> int:
        """Delete every expired file; answer how many."""
        with self.engine.begin() as conn:
            result = conn.execute(
                delete(report_files).where(report_files.c.expires_at <= func.now())
            )
        return result.rowcount or 0
