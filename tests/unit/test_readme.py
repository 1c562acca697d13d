"""The README's tables stay true: configuration from `Settings`, dependencies from pyproject."""

from __future__ import annotations

import importlib.util
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _generator():
    spec = importlib.util.spec_from_file_location(
        "gen_settings_table", ROOT / "docs/gen_settings_table.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _requirement_label(text: str) -> str:
    """`name[extra,...]` with the name canonical and the extras sorted; versions dropped."""
    requirement = Requirement(text)
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    return f"{canonicalize_name(requirement.name)}{extras}"


def _readme_dependencies() -> tuple[set[str], set[str], set[str]]:
    """(runtime, dev, embedded) libraries named in the README's Dependencies table."""
    section = README.split("\n## Dependencies\n", 1)[1].split("\n## ", 1)[0]
    groups: dict[str | None, set[str]] = {None: set(), "dev": set(), "embedded": set()}
    pattern = r"^\| `([^`]+)`(?: \((dev|embedded)\))? \|"
    for match in re.finditer(pattern, section, flags=re.MULTILINE):
        groups[match.group(2)].add(_requirement_label(match.group(1)))
    return groups[None], groups["dev"], groups["embedded"]


def _pyproject_dependencies() -> tuple[set[str], set[str], set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    return (
        {_requirement_label(text) for text in project["dependencies"]},
        {_requirement_label(text) for text in extras["dev"]},
        {_requirement_label(text) for text in extras["embedded"]},
    )


def test_readme_configuration_table_matches_the_settings_class():
    generator = _generator()
    assert generator.readme_table(README) == generator.settings_table(), (
        "README.md is out of date: run `python docs/gen_settings_table.py --write`"
    )


def test_readme_names_every_runtime_dependency_in_pyproject_and_no_other():
    assert _readme_dependencies()[0] == _pyproject_dependencies()[0]


def test_readme_names_every_dev_dependency_in_pyproject_and_no_other():
    assert _readme_dependencies()[1] == _pyproject_dependencies()[1]


def test_readme_names_every_embedded_dependency_in_pyproject_and_no_other():
    assert _readme_dependencies()[2] == _pyproject_dependencies()[2]
