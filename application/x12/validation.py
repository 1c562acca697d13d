"""X12 validated by pyx12 against the implementation guide its GS08 names: the one place that
runs pyx12's validator (inbound 835s, the sandbox clearinghouse's 999, the tests' check of
every document Aries writes).

pyx12 logs offending segments verbatim, and a segment can hold a patient's name or member id,
so its logger is silenced: PHI must not reach our logs. For the same reason an `X12Error`
locates an error (`where`) and codes it (`code`) without values; only `text`, pyx12's own
sentence, may quote the offending value: fine in a test's failure message, never in a log or
an answer.

pyx12 4.0.0 (the newest release) registers no 5010 map for 270/271/276/277: its maps.xml
comments out the 005010X092A1/X093A1 entries (whose files it does not ship) and leaves out the
277.5010.X212.xml it does ship. `map_directory()` gives pyx12 a map folder of its own maps plus
ours (`application/x12/pyx12_maps/`, sources in its README) with a maps.xml that registers
005010X279A1 (270/271) and 005010X212 (276/277).
Why: docs/decisions/016-eligibility-and-claim-status.md.

Parsing the 837P map alone takes ~0.4 s, more than validating a 100-claim interchange: pyx12
re-parses its maps (and codes.xml, in each map) on every document, so `check_with_pyx12` hands
pyx12 a loader that parses each map once per process. A parsed map is read-only while a
document is walked (pyx12 keeps its loop and segment counts in the walker's `NodeCounter`),
so threads share it.
"""

from __future__ import annotations

import atexit
import io
import json
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import pyx12.map_if
import pyx12.nodeCounter
import pyx12.params
import pyx12.x12n_document

from application.x12.segments import X12SyntaxError


@dataclass(frozen=True)
class X12Error:
    where: str  # "ISA line 38", "CLP line 17", "CLP line 17 element 2"
    code: str  # pyx12's error code (the 999's IK3/IK4/IK5 codes where it has one)
    text: str  # may quote the offending value: PHI


@dataclass(frozen=True)
class Pyx12Report:
    valid: bool
    # pyx12's JSON report: interchanges > groups > transactions > segments > elements, each
    # with its `errors`; for readers that need its structure (the sandbox's 999).
    document: dict[str, Any]

    @property
    def errors(self) -> list[X12Error]:
        """Every error, at every level, in document order."""
        return list(_errors(self.document))


def check_with_pyx12(text: str) -> Pyx12Report:
    """pyx12's verdict on `text`. X12SyntaxError when pyx12 cannot read it at all."""
    logging.getLogger("pyx12").setLevel(logging.CRITICAL + 1)
    _load_maps_once()
    report = io.StringIO()
    try:
        valid = pyx12.x12n_document.x12n_document(
            _PARAMS, io.StringIO(text), fd_997=None, fd_html=None,
            fd_json=report, map_path=map_directory(),
        )
        document = json.loads(report.getvalue() or '{"interchanges": []}')
    except Exception as error:  # pyx12 raises EngineError, X12Error and others on garbage
        raise X12SyntaxError(f"not a readable X12 interchange ({type(error).__name__})") from None
    return Pyx12Report(bool(valid), document)


def preload_maps(*map_files: str) -> None:
    """Parse the 5010 control map and `map_files` now, as the first document would."""
    _load_maps_once()
    for name in ("x12.control.00501.xml", *map_files):
        _parsed_map(name, _PARAMS, map_directory())


# pyx12's defaults; every map is parsed under them (a map holds the params it was parsed with).
_PARAMS = pyx12.params.params()
_parse_map = pyx12.map_if.load_map_file
_parsed_lock = threading.Lock()


def _parsed_map(map_file: str, param: Any, map_path: str | None = None) -> Any:
    """pyx12's `load_map_file`, parsing each (file, folder) once under our params; a caller
    with other params gets a fresh parse, as before."""
    if param is not _PARAMS:
        return _parse_map(map_file, param, map_path)
    with _parsed_lock:  # two threads must not both spend 0.4 s on the same map
        return _cached_map(map_file, map_path)


@lru_cache(maxsize=64)
def _cached_map(map_file: str, map_path: str | None) -> Any:
    return _parse_map(map_file, _PARAMS, map_path)


def _load_maps_once() -> None:
    """x12n_document looks `load_map_file` up on its module at each call: point it at the
    parse-once version; and count loops with `_reset_to_node` (idempotent)."""
    if pyx12.map_if.load_map_file is not _parsed_map:
        pyx12.map_if.load_map_file = _parsed_map
    if pyx12.nodeCounter.NodeCounter.reset_to_node is not _reset_to_node:
        pyx12.nodeCounter.NodeCounter.reset_to_node = _reset_to_node  # type: ignore[method-assign]


def _reset_to_node(self: Any, xpath: Any) -> None:
    """pyx12's `NodeCounter.reset_to_node` (drop the counts below `xpath`), deciding the same
    keys with the parent's path split once: pyx12's `X12Path.is_child_path` formats and splits
    the parent again for every count kept, at every loop entered, which was a sixth of pyx12's
    time on a 100-claim 837P."""
    root = pyx12.nodeCounter.NodeCounter.makeX12Path(xpath).format().split("/")
    depth = len(root)
    counts = self._dict
    below = []
    for key in counts:
        child = key.format().split("/")
        if len(child) > depth and child[:depth] == root:
            below.append(key)
    for key in below:
        del counts[key]


# (implementation guide GS08, functional id GS01, transaction ST01, map file) registered on top of
# pyx12's own maps.xml, for ISA12 00501.
EXTRA_MAPS = (
    ("005010X279A1", "HS", "270", "270.5010.X279.A1.xml"),
    ("005010X279A1", "HB", "271", "271.5010.X279.A1.xml"),
    ("005010X212", "HR", "276", "276.5010.X212.xml"),
    ("005010X212", "HN", "277", "277.5010.X212.xml"),
)
_map_lock = threading.Lock()


@lru_cache(maxsize=1)
def map_directory() -> str:
    """A folder holding pyx12's maps, ours, and a maps.xml registering `EXTRA_MAPS`: made once
    per process (links to pyx12's files, copies of ours), removed at exit."""
    with _map_lock:
        folder = Path(tempfile.mkdtemp(prefix="aries-pyx12-maps-"))
        atexit.register(shutil.rmtree, folder, True)
        shipped = Path(str(files("pyx12").joinpath("map")))
        ours = Path(__file__).with_name("pyx12_maps")
        for source in ours.glob("*.xml"):
            shutil.copyfile(source, folder / source.name)
        for source in shipped.iterdir():  # ours replace pyx12's of the same name
            target = folder / source.name
            if source.is_file() and source.name != "maps.xml" and not target.exists():
                os.symlink(source, target)
        entries = "".join(
            f'    <map vriic="{vriic}" fic="{fic}" abbr="{abbr}">{name}</map>\n'
            for vriic, fic, abbr, name in EXTRA_MAPS
        )
        index = (shipped / "maps.xml").read_text(encoding="utf-8")
        index, count = re.subn(r'(<version icvn="00501">\s*\n)', lambda m: m.group(1) + entries,
                               index, count=1)
        if count != 1:
            raise RuntimeError("pyx12's maps.xml has no 00501 version to register maps in")
        (folder / "maps.xml").write_text(index, encoding="utf-8")
        return str(folder)


def _errors(document: dict[str, Any]) -> Iterator[X12Error]:
    def of(node: dict[str, Any], where: str) -> Iterator[X12Error]:
        for error in node.get("errors") or []:
            yield X12Error(where, str(error.get("err_cde")), str(error.get("err_str") or ""))

    for isa in document.get("interchanges", []):
        yield from of(isa, f"ISA line {isa.get('cur_line')}")
        for gs in isa.get("groups", []):
            yield from of(gs, f"GS line {gs.get('cur_line')}")
            for st in gs.get("transactions", []):
                yield from of(st, f"ST line {st.get('cur_line')}")
                for segment in st.get("segments", []):
                    where = f"{segment.get('seg_id', 'segment')} line {segment.get('cur_line')}"
                    yield from of(segment, where)
                    for element in segment.get("elements") or []:
                        yield from of(element, f"{where} element {element.get('ele_pos')}")
