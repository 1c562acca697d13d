"""PDF rendering of a report (reportlab): title, period and notes, then each section as a
table with a bold totals row, followed by its chart (bar, stacked bar or line) where it has
one. Landscape letter pages, numbered. Text is real text (not an image), so the file can be
searched and its figures extracted."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from projections.queries.report_model import Chart, Report, Section

PALETTE = (
    colors.HexColor("#4e79a7"), colors.HexColor("#f28e2b"), colors.HexColor("#e15759"),
    colors.HexColor("#76b7b2"), colors.HexColor("#59a14f"), colors.HexColor("#edc948"),
)
CHART_WIDTH, CHART_HEIGHT = 9.0 * inch, 2.8 * inch
MOST_CHART_CATEGORIES = 24  # more bars than this are unreadable on a page: the largest kept
STYLES = getSampleStyleSheet()


def to_pdf(report: Report) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=landscape(letter), title=report.title, author="Aries",
        leftMargin=0.5 * inch, rightMargin=0.5 * inch, topMargin=0.5 * inch,
        bottomMargin=0.6 * inch,
    )
    story: list[Flowable] = [
        Paragraph(report.title, STYLES["Title"]),
        Paragraph(f"{report.subtitle} &middot; tenant {report.tenant_id}", STYLES["Normal"]),
    ]
    story += [Paragraph(note, STYLES["Italic"]) for note in report.notes]
    for section in report.sections:
        story += [Spacer(1, 0.2 * inch), Paragraph(section.title, STYLES["Heading2"])]
        story.append(_table(section))
        if section.chart is not None and section.rows:
            story += [Spacer(1, 0.15 * inch), _chart(section, section.chart)]
    document.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return buffer.getvalue()


def _footer(canvas: Any, document: Any) -> None:
    canvas.saveState()
    canvas.setFont("Helvetica", 8)
    canvas.drawRightString(
        document.pagesize[0] - 0.5 * inch, 0.35 * inch, f"page {document.page}"
    )
    canvas.restoreState()


def _table(section: Section) -> Table:
    header = [column.title for column in section.columns]
    body = [[_text(value, column.kind) for value, column in zip(row, section.columns,
                                                                  strict=True)]
            for row in section.rows]
    if not body:
        body = [["(none)", *[""] * (len(header) - 1)]]
    totals = section.total_row()
    data = [header, *body]
    if totals is not None:
        data.append([_text(value, column.kind)
                     for value, column in zip(totals, section.columns, strict=True)])
    style = [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 8),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde4ee")),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.grey),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f5f7fa")]),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
    for index, column in enumerate(section.columns):
        if column.kind in ("int", "money", "days", "ratio"):
            style.append(("ALIGN", (index, 0), (index, -1), "RIGHT"))
    if totals is not None:
        style += [("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 8),
                  ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black)]
    table = Table(data, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(style))
    return table


def _text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == "money" and isinstance(value, Decimal):
        return f"{value:,.2f}"
    if kind == "int" and isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _chart(section: Section, chart: Chart) -> Drawing:
    category = section.index(chart.category)
    series = [section.index(key) for key in chart.values]
    rows = section.rows
    if len(rows) > MOST_CHART_CATEGORIES:
        rows = sorted(rows, key=lambda row: -sum(float(row[i] or 0) for i in series))
        rows = rows[:MOST_CHART_CATEGORIES]
    drawing = Drawing(CHART_WIDTH, CHART_HEIGHT + 0.3 * inch)
    drawing.add(String(0, CHART_HEIGHT + 0.12 * inch, chart.title,
                       fontName="Helvetica-Bold", fontSize=9))
    plot: Any = HorizontalLineChart() if chart.kind == "line" else VerticalBarChart()
    plot.x, plot.y = 0.6 * inch, 0.45 * inch
    plot.width, plot.height = CHART_WIDTH - 2.4 * inch, CHART_HEIGHT - 0.6 * inch
    plot.data = [[float(row[i] or 0) for row in rows] for i in series]
    plot.categoryAxis.categoryNames = [str(row[category]) for row in rows]
    plot.categoryAxis.labels.fontSize = 6
    plot.categoryAxis.labels.angle = 30 if len(rows) > 6 else 0
    plot.categoryAxis.labels.boxAnchor = "ne" if len(rows) > 6 else "n"
    plot.valueAxis.labels.fontSize = 6
    plot.valueAxis.valueMin = 0
    if chart.kind == "stacked_bar":
        plot.categoryAxis.style = "stacked"
    for number in range(len(series)):
        colour = PALETTE[number % len(PALETTE)]
        if chart.kind == "line":
            plot.lines[number].strokeColor = colour
            plot.lines[number].strokeWidth = 1.5
        else:
            plot.bars[number].fillColor = colour
    drawing.add(plot)
    if len(series) > 1:
        legend = Legend()
        legend.x, legend.y = CHART_WIDTH - 1.6 * inch, CHART_HEIGHT - 0.2 * inch
        legend.fontSize = 7
        legend.colorNamePairs = [
            (PALETTE[n % len(PALETTE)], section.columns[i].title) for n, i in enumerate(series)
        ]
        drawing.add(legend)
    return drawing
