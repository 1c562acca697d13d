"""The bench's table, JSON and Markdown writers, on made-up figures (no timing here)."""

from __future__ import annotations

import json

from bench.load import percentile
from bench.report import Report, Row, Target, alternate, markdown, runs, verdict, write_json


def _report() -> Report:
    report = Report(context={"command": "python -m bench", "runs": 3, "seconds": 12.0})
    report.add(
        Row("1", "command", "req/s", runs([900, 1000, 1100]), "INSERT", runs([1200, 1300, 1400]),
            Target("higher", ratio=0.7)),
        Row("3", "lag p99", "ms", runs([30, 31, 35]), target=Target("lower", value=20)),
    )
    report.not_measured("7", "worker throughput", "no workers")
    return report


def test_each_figure_is_the_median_of_its_runs_with_min_and_max():
    row = _report().rows[0]
    assert (row.aries.median, row.aries.min, row.aries.max) == (1000, 900, 1100)


def test_a_relative_target_compares_the_median_with_the_baselines_median():
    assert _report().rows[0].met is True  # 1000 >= 70% of 1300
    assert Target("higher", ratio=0.8).met(runs([1000]), runs([1300])) is False


def test_an_absolute_target_that_is_missed_says_missed():
    assert verdict(_report().rows[1]) == "MISSED"


def test_a_figure_that_was_not_measured_says_why_in_every_output(tmp_path):
    report = _report()
    write_json(report, tmp_path / "b.json")
    rows = json.loads((tmp_path / "b.json").read_text())["rows"]
    (row,) = [r for r in rows if r["figure"] == "7"]
    assert row["aries"] is None and row["note"] == "not measured: no workers"
    assert "| 7 | worker throughput |" in markdown(report)
    assert "not measured: no workers" in markdown(report)


def test_the_markdown_table_shows_median_and_range_beside_the_baseline():
    text = markdown(_report())
    assert "| 1 | command | req/s | 1,000 (900-1,100) | INSERT | 1,300 (1,200-1,400) |" in text


def test_a_percentile_is_a_latency_that_occurred():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile([7.0], 0.99) == 7.0


def test_measurements_with_a_baseline_are_taken_in_turns():
    taken: list[str] = []

    def measure(name: str):
        def run() -> str:
            taken.append(name)
            return f"{name}{sum(1 for t in taken if t == name)}"

        return run

    turns = alternate(3, {"baseline": measure("baseline"), "aries": measure("aries")})

    assert taken == ["baseline", "aries"] * 3
    assert turns.of == {"baseline": ["baseline1", "baseline2", "baseline3"],
                        "aries": ["aries1", "aries2", "aries3"]}
    assert len(turns.loads) == 6 and all(load >= 0 for load in turns.loads)


def test_every_row_shows_the_load_average_it_was_measured_under(tmp_path):
    report = _report()
    report.add(Row("4", "commits", "commits/s", runs([500]), load=runs([1.0, 2.5, 4.0])))
    write_json(report, tmp_path / "b.json")
    rows = json.loads((tmp_path / "b.json").read_text())["rows"]

    assert all(row["load_1min"] is not None for row in rows)
    assert rows[-1]["load_1min"]["median"] == 2.5
    assert "| - | 2.5 (1.0-4.0) |  |" in markdown(report)
    assert "| load 1 min | note |" in markdown(report)
