"""The layer rules (import-linter contracts in pyproject.toml) hold: a wrong arrow fails the test
run instead of waiting for a review."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_imports_keep_the_layer_contracts():
    result = subprocess.run(
        [
            Path(sys.executable).with_name("lint-imports"),
            "--no-cache",
            "--no-logo",
            ROOT / "pyproject.toml",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(result.stdout + result.stderr, pytrace=False)
