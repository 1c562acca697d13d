"""Reproducible builds: the lock files pin what pyproject.toml asks for (every package, exact
version, hashes), the image installs the runtime lock alone, `make run`/`make test` the dev lock;
and a command that needs the `embedded` extra says so when it is missing."""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from interfaces.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = [Requirement(text) for text in PROJECT["dependencies"]]
EMBEDDED = [Requirement(text) for text in PROJECT["optional-dependencies"]["embedded"]]
DEV = [Requirement(text) for text in PROJECT["optional-dependencies"]["dev"]]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^ ;\\]+)", re.MULTILINE)


def _pins(lock: str) -> dict[str, Version]:
    text = (ROOT / lock).read_text(encoding="utf-8")
    return {canonicalize_name(name): Version(version) for name, version in PIN.findall(text)}


def _entries(lock: str) -> list[str]:
    """One string per pinned package: its line and its continuation lines."""
    text = (ROOT / lock).read_text(encoding="utf-8")
    return [entry for entry in re.split(r"\n(?=[A-Za-z0-9])", text) if PIN.match(entry)]


def _direct(lock: str) -> set[str]:
    """The packages the lock says pyproject.toml asked for."""
    return {
        canonicalize_name(PIN.match(entry).group(1))
        for entry in _entries(lock)
        if "aries (pyproject.toml)" in entry
    }


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [("requirements.lock", RUNTIME), ("requirements-dev.lock", RUNTIME + EMBEDDED + DEV)],
)
def test_a_lock_pins_what_pyproject_asks_for_within_its_ranges(lock, requirements):
    pins = _pins(lock)
    assert _direct(lock) == {canonicalize_name(r.name) for r in requirements}, (
        f"{lock} is out of date: run `make lock`"
    )
    outside = {
        r.name: str(pins[canonicalize_name(r.name)])
        for r in requirements
        if not r.specifier.contains(pins[canonicalize_name(r.name)], prereleases=True)
    }
    assert outside == {}, f"{lock} is out of date: run `make lock`"


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_every_locked_package_carries_a_hash(lock):
    entries = _entries(lock)
    assert entries
    assert [e.split()[0] for e in entries if "--hash=sha256:" not in e] == []


def test_the_production_lock_holds_no_embedded_server_or_demo_data():
    assert {canonicalize_name(r.name) for r in EMBEDDED} & set(_pins("requirements.lock")) == set()


def test_the_image_installs_the_runtime_lock_with_hashes_and_aries_without_dependencies():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY requirements.lock" in dockerfile
    installs = re.findall(r"pip install ([^\n\\&]+)", dockerfile)
    assert "--require-hashes -r requirements.lock" in [i.strip() for i in installs]
    # Every other install resolves nothing: pip itself, or the Aries wheel with --no-deps.
    others = [i.strip() for i in installs if "requirements.lock" not in i]
    assert all(i == "--upgrade pip" or "--no-deps" in i for i in others), others


def test_make_installs_the_dev_lock_with_hashes():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes -r requirements-dev.lock" in makefile
    installs = re.findall(r"pip install (.+)", makefile)
    others = [i for i in installs if "requirements-dev.lock" not in i]
    assert all("--upgrade pip" in i or "--no-deps" in i for i in others), others


@pytest.mark.parametrize(
    ("command", "missing", "needed_by"),
    [
        (["dev"], "faker", "`aries dev` (demo data)"),
        (["seed"], "faker", "`aries seed`"),
    ],
)
def test_a_command_without_the_embedded_extra_says_how_to_install_it(
    command, missing, needed_by, monkeypatch, capsys
):
    monkeypatch.setitem(sys.modules, missing, None)  # `import faker` now raises ImportError
    monkeypatch.setattr(sys, "argv", ["aries", *command])
    for name in ("ARIES_DATABASE_URL", "ARIES_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SystemExit) as exited:
        main()
    err = " ".join(capsys.readouterr().err.split())
    assert exited.value.code == 2
    assert f"{needed_by} needs `{missing}`" in err
    assert "pip install 'aries[embedded]'" in err
    assert "Traceback" not in err


def test_embedded_servers_without_the_extra_say_how_to_install_it(monkeypatch, tmp_path):
    from interfaces.embedded import EmbeddedServers, ExtraMissing

    monkeypatch.setitem(sys.modules, "pgserver", None)
    with pytest.raises(ExtraMissing, match=r"needs `pgserver`.*aries\[embedded\]"):
        EmbeddedServers(tmp_path).__enter__()
