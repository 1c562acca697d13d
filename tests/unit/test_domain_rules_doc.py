"""docs/domain-rules.md is generated from the `@billing_rule` declarations, and every test a rule
names as pinning it exists."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

import pytest

from domain.rules import billing_rule

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    "gen_domain_rules", ROOT / "docs/gen_domain_rules.py"
)
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

RULES = gen.billing_rules()


def test_the_domain_rules_doc_is_generated_from_the_code():
    assert gen.OUTPUT.read_text(encoding="utf-8") == gen.render(), (
        "run: python docs/gen_domain_rules.py --write"
    )


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_each_rule_names_tests_that_exist(rule):
    for test in rule.pinned_by:
        path, _, name = test.partition("::")
        assert (ROOT / path).is_file(), test
        assert name in _test_names(ROOT / path), test


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
def test_each_rule_cites_a_public_source(rule):
    sources = ("CFR", "Pub. 100-", "LCD", "TR3", "005010", "DME MAC", "Article", "CR ")
    assert any(s.lower() in rule.source.lower() for s in sources), rule.source


def test_a_billing_rule_without_a_source_or_a_test_is_refused():
    with pytest.raises(ValueError):
        billing_rule(" ", "tests/x.py::test_x")
    with pytest.raises(ValueError):
        billing_rule("42 CFR 414.229")


def test_a_billing_rule_without_a_docstring_is_refused():
    with pytest.raises(ValueError):
        billing_rule("42 CFR 414.229", "tests/x.py::test_x")(lambda: None)
