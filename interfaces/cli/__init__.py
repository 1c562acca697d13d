"""The `aries` command. Entry points stay thin: parse, call one thing, report."""

import os
from pathlib import Path

# prometheus_client in multiprocess mode writes an unlabelled counter's file when the metric is
# defined, at import: the directory must exist before the commands' modules are imported
# (`serve` empties it later, for its workers).
if directory := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    Path(directory).mkdir(parents=True, exist_ok=True)
