"""The monitoring profile (issue 20): Prometheus scrapes what the stack serves, Grafana gets
its data source and the Aries dashboard provisioned, and every metric the dashboard names
exists in the application's registry (API, projector and worker metrics modules)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY

# Importing them registers the API's, the worker's and the projector's metrics.
import interfaces.http.metrics  # noqa: F401
import interfaces.workers.metrics  # noqa: F401
import projections.metrics  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "dashboards" / "aries.json"
PROMETHEUS = ROOT / "deploy" / "prometheus" / "prometheus.yml"
PROVISIONING = ROOT / "deploy" / "grafana" / "provisioning"
# What is not a metric name in a query: label matchers, grouping labels, ranges, numbers.
NOT_NAMES = re.compile(r"\{[^}]*\}|\b(?:by|without)\s*\([^)]*\)|\[[^\]]*\]|\d+(?:\.\d+)?")
IDENTIFIER = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
PROMQL_WORDS = frozenset({
    "sum", "max", "min", "avg", "count", "rate", "irate", "increase", "histogram_quantile",
    "topk", "bottomk", "and", "or", "unless", "on", "ignoring", "clamp_min", "delta",
})
SAMPLE_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_sum", "_count"),
    "summary": ("_sum", "_count"),
    "gauge": ("",),
}
WANTED_PANELS = (
    "Requests per second by route", "Request latency p95 by route",
    "Projection lag (events behind the log)", "Job queue depth", "Dead letters",
    "Claims submitted per day", "Claims paid per day",
)


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def _dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def _expressions() -> list[str]:
    return [target["expr"] for panel in _dashboard()["panels"] for target in panel["targets"]]


def _registered() -> set[str]:
    names = set()
    for family in REGISTRY.collect():
        names.update(family.name + suffix for suffix in SAMPLE_SUFFIXES.get(family.type, ("",)))
    return names


def test_the_dashboard_shows_what_an_operator_watches():
    titles = [panel["title"] for panel in _dashboard()["panels"]]
    assert set(WANTED_PANELS) <= set(titles)


@pytest.mark.parametrize("expression", _expressions())
def test_every_metric_the_dashboard_names_exists_in_the_registry(expression):
    named = _metrics_in(expression)
    assert named, expression
    assert set(named) <= _registered(), set(named) - _registered()


def _metrics_in(expression: str) -> list[str]:
    return [name for name in IDENTIFIER.findall(NOT_NAMES.sub(" ", expression))
            if name not in PROMQL_WORDS]


def test_the_metric_names_of_a_query_are_found_and_nothing_else():
    query = 'histogram_quantile(0.95, sum by (le, route) (rate(x_bucket{a="b"}[5m]))) + max(y)'
    assert _metrics_in(query) == ["x_bucket", "y"]


def test_every_panel_reads_the_provisioned_prometheus():
    source = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yml").read_text())
    (datasource,) = source["datasources"]
    assert datasource["url"] == "http://prometheus:9090"
    for panel in _dashboard()["panels"]:
        assert panel["datasource"]["uid"] == datasource["uid"]
        assert all(t["datasource"]["uid"] == datasource["uid"] for t in panel["targets"])


def test_grafana_mounts_the_provisioning_and_the_dashboard_where_they_are_looked_for():
    grafana = _compose()["services"]["grafana"]
    mounts = dict(volume.rsplit(":", 1)[0].split(":", 1) for volume in grafana["volumes"]
                  if volume.startswith("./"))
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    provider = yaml.safe_load((PROVISIONING / "dashboards" / "aries.yml").read_text())
    (dashboards,) = provider["providers"]
    assert mounts["./deploy/grafana/dashboards"] == dashboards["options"]["path"]
    assert grafana["profiles"] == ["monitoring"]


def test_prometheus_scrapes_the_api_and_the_ports_the_projector_and_worker_serve():
    services = _compose()["services"]
    prometheus = services["prometheus"]
    assert "./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in (
        prometheus["volumes"]
    )
    config = yaml.safe_load(PROMETHEUS.read_text(encoding="utf-8"))
    targets = {job["job_name"]: job["static_configs"][0]["targets"]
               for job in config["scrape_configs"]}
    assert targets["aries-api"] == ["api:8000"]
    projector_port = services["projector"]["environment"]["ARIES_PROJECTOR_METRICS_PORT"]
    worker_port = services["worker"]["environment"]["ARIES_WORKER_METRICS_PORT"]
    assert targets["aries-projector"] == [f"projector:{projector_port}"]
    assert targets["aries-worker"] == [f"worker:{worker_port}"]


def test_the_monitoring_ports_are_published_on_the_loopback_only():
    services = _compose()["services"]
    for name in ("prometheus", "grafana"):
        assert all(port.startswith("127.0.0.1:") for port in services[name]["ports"]), name
