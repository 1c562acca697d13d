"""The sandbox's front end (its pyx12 check, its edits, its answers) runs in processes of its
own (decision 024), and still rejects what it rejected in the worker's process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

import application.x12.syntax_verdict
import interfaces.clearinghouse.sandbox
from application.ports import ClearinghouseUnavailable
from application.x12.acknowledgements import read_answer
from interfaces.clearinghouse import clearinghouse_from
from interfaces.clearinghouse.sandbox import SandboxClearinghouse
from interfaces.clearinghouse.sandbox_checks import SandboxProcesses, shared_processes
from interfaces.settings import Settings
from tests.conftest import FixedClock, eventually
from tests.unit.test_x12_writer import SENT_AT, bed_and_walker, render

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
MONTH_13 = ("DMG*D8*19480309", "DMG*D8*19481309")  # a date pyx12 refuses (IK4 8)


@pytest.fixture
def checks() -> Iterator[SandboxProcesses]:
    pool = SandboxProcesses(1)
    yield pool
    pool.close()


def sandbox(checks: SandboxProcesses) -> SandboxClearinghouse:
    return SandboxClearinghouse(
        FixedClock(SENT_AT), clearinghouse_id="ARIESSANDBOX", processes=checks
    )


def test_the_check_and_the_answer_are_not_made_in_the_sending_process(checks, monkeypatch):
    def here(text: str) -> None:
        raise AssertionError("the sandbox's front end ran in the sending process")

    monkeypatch.setattr(application.x12.syntax_verdict, "check_with_pyx12", here)
    monkeypatch.setattr(interfaces.clearinghouse.sandbox, "write_277ca", here)
    answer = read_answer(sandbox(checks).transmit(render(bed_and_walker())))
    assert answer.functional_ack("17").accepted
    assert answer.claim_ack("0A1B2C3D4E5F60718293").accepted
    assert checks.pids() and os.getpid() not in checks.pids()


def test_a_syntax_error_found_in_the_checks_process_rejects_the_set(checks):
    text = render(bed_and_walker()).replace(*MONTH_13)
    answer = read_answer(sandbox(checks).transmit(text))
    ack = answer.functional_ack("17").transaction("0001")
    assert not ack.accepted and ack.errors[0].segment_id == "DMG"
    assert ack.errors[0].elements == (("2", "8"),)
    assert answer.claim_acks == ()


def test_a_check_whose_process_died_is_a_transient_failure_and_the_next_one_is_answered(checks):
    clearinghouse = sandbox(checks)
    clearinghouse.transmit(render(bed_and_walker(), number=1))  # the pool is up
    for pid in checks.pids():
        os.kill(pid, signal.SIGKILL)
    with pytest.raises(ClearinghouseUnavailable):
        clearinghouse.transmit(render(bed_and_walker(), number=2))
    # Not remembered as received: the retry under the same control number is answered.
    assert not clearinghouse.look_up("000000002").received
    answer = read_answer(clearinghouse.transmit(render(bed_and_walker(), number=2)))
    assert answer.claim_ack("0A1B2C3D4E5F60718293").accepted


def test_the_sandbox_built_from_settings_checks_in_the_shared_pool():
    built = clearinghouse_from(Settings(environment="test", sandbox_check_processes=1))
    assert isinstance(built, SandboxClearinghouse)
    assert built.processes is shared_processes(1)


def test_the_checks_processes_do_not_outlive_a_worker_killed_outright():
    script = (
        "from interfaces.clearinghouse.sandbox_checks import SandboxProcesses\n"
        "checks = SandboxProcesses(2)\n"
        "checks._pool()\n"
        "print(' '.join(map(str, checks.pids())), flush=True)\n"
        "import time; time.sleep(600)\n"
    )
    worker = subprocess.Popen(  # noqa: S603 (our own interpreter)
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        children = [int(pid) for pid in worker.stdout.readline().split()]
        assert len(children) == 2
        worker.kill()
        worker.wait()
        eventually(
            lambda: (
                not any(
                    psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
                    for pid in children
                )
            ),
            what="the check processes to exit",
            timeout=30,
        )
    finally:
        if worker.poll() is None:
            worker.kill()
