"""Claim submission on real PostgreSQL and Redis: the sandbox clearinghouse, the HTTP adapter
against a real local HTTP server, and the Redis control numbers."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from uuid import UUID, uuid4

import pytest

from application.ports import (
    ClearinghouseRefused,
    ClearinghouseUnavailable,
    MalformedAnswer,
    TransientFailure,
    TransmissionRecord,
    TransmissionStatusUnknown,
)
from application.submission import SubmissionConflict, SubmissionService
from application.x12.segments import interchanges
from domain.claim_ids import claim_id_for, patient_control_number_for
from domain.claim_values import ClaimStatus
from domain.order_values import LineBilling, OrderLine, ProofOfDelivery, SignerRelationship
from domain.patient_values import CoverageRank, RelationshipToSubscriber, Sex
from interfaces.clearinghouse import submission_service_from
from interfaces.clearinghouse.control_numbers import RedisControlNumbers
from interfaces.clearinghouse.http import HttpClearinghouse
from interfaces.clearinghouse.sandbox import SandboxClearinghouse
from tests.conftest import FixedClock
from tests.integration.scenarios import (
    MEDICARE,
    PRACTITIONER,
    delivered_bed_and_walker,
    demographics,
)
from tests.x12_validation import assert_valid_x12

pytestmark = pytest.mark.integration

DELIVERED_ON = datetime.now(UTC).date() - timedelta(days=5)


class Recording:
    """A real clearinghouse adapter that also keeps what it was sent."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.name = inner.name
        self.sent: list[str] = []

    def transmit(self, interchange: str) -> str:
        self.sent.append(interchange)
        return self.inner.transmit(interchange)

    def look_up(self, interchange_control_number: str) -> TransmissionRecord:
        return self.inner.look_up(interchange_control_number)


class AnswerLost:
    """A transmission whose answer never comes back, as when the worker is killed while it
    waits: the interchange reaches `inner` (or, `delivered=False`, does not)."""

    name = "answer-lost"

    def __init__(self, inner, delivered: bool = True) -> None:
        self.inner = inner
        self.delivered = delivered

    def transmit(self, interchange: str) -> str:
        if self.delivered:
            self.inner.transmit(interchange)
        raise ClearinghouseUnavailable("no answer in time")

    def look_up(self, interchange_control_number: str) -> TransmissionRecord:
        return self.inner.look_up(interchange_control_number)


class NoStatusService(Recording):
    """A clearinghouse that cannot say what became of an interchange."""

    def look_up(self, interchange_control_number: str) -> TransmissionRecord:
        raise TransmissionStatusUnknown("no status service")


class LateRecords(Recording):
    """A clearinghouse whose status service lags: the first look-up finds no record of an
    interchange it already has (so the resend is refused as a duplicate)."""

    def __init__(self, inner) -> None:
        super().__init__(inner)
        self.look_ups = 0

    def look_up(self, interchange_control_number: str) -> TransmissionRecord:
        self.look_ups += 1
        if self.look_ups == 1:
            return TransmissionRecord(received=False)
        return self.inner.look_up(interchange_control_number)


def requested_claim(aries, delivered_on: date = DELIVERED_ON) -> UUID:
    """A delivered bed and walker whose claim is scrubbed and awaits submission."""
    delivered = delivered_bed_and_walker(aries, delivered_on)
    aries.claims.catch_up_all()
    claim_id = claim_id_for(delivered.order_id, f"{delivered_on:%Y-%m}", MEDICARE)
    aries.claims.submit(claim_id)
    return claim_id


def service(aries, clearinghouse) -> SubmissionService:
    return submission_service_from(aries, clearinghouse)


def events_of(aries, claim_id: UUID) -> list[str]:
    return [type(e).__name__ for e in aries.claims.repository.event_store.get(claim_id)]


def control_number_of(interchange: str) -> str:
    return interchanges(interchange)[0].control_number


def claim_ids_in(interchange: str) -> list[str]:
    return [s[1] for s in interchanges(interchange)[0].segments if s[0] == "CLM"]


def test_claims_ready_together_go_out_in_one_valid_interchange_and_are_accepted(aries):
    first, second = requested_claim(aries), requested_claim(aries)
    clearinghouse = Recording(SandboxClearinghouse(clearinghouse_id="ARIESSANDBOX"))

    outcome = service(aries, clearinghouse).submit([first, second])

    (sent,) = clearinghouse.sent
    assert_valid_x12(sent)
    assert claim_ids_in(sent) == [patient_control_number_for(c) for c in (first, second)]
    assert set(outcome.submitted) == set(outcome.accepted) == {first, second}, outcome
    for claim_id in (first, second):
        claim = aries.claims.get_claim(claim_id)
        assert claim.status is ClaimStatus.ACCEPTED
        assert claim.interchange_control_number == outcome.interchange_control_number
        assert claim.filed


def test_submitting_the_same_claims_again_sends_nothing_and_records_nothing(aries):
    claim_id = requested_claim(aries)
    clearinghouse = Recording(SandboxClearinghouse(clearinghouse_id="ARIESSANDBOX"))
    submitter = service(aries, clearinghouse)
    submitter.submit([claim_id])
    version = aries.claims.get_claim(claim_id).version

    again = submitter.submit([claim_id, claim_id])

    assert len(clearinghouse.sent) == 1
    assert again.interchange_control_number is None and again.skipped == (claim_id,)
    assert aries.claims.get_claim(claim_id).version == version


def test_each_batch_gets_a_new_higher_interchange_and_group_control_number(aries):
    clearinghouse = Recording(SandboxClearinghouse(clearinghouse_id="ARIESSANDBOX"))
    submitter = service(aries, clearinghouse)
    numbers = [
        submitter.submit([requested_claim(aries)]).interchange_control_number for _ in range(3)
    ]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    groups = [interchanges(text)[0].segments[1][6] for text in clearinghouse.sent]
    assert [int(g) for g in groups] == [int(n) for n in numbers]


def test_a_claim_the_front_end_rejects_is_recorded_rejected_with_its_reasons(aries):
    claim_id = requested_claim(aries)
    # The sandbox's calendar is a week behind: to it the date of service is in the future.
    behind = FixedClock(datetime.now(UTC) - timedelta(days=7))
    clearinghouse = SandboxClearinghouse(behind, clearinghouse_id="ARIESSANDBOX")

    outcome = service(aries, clearinghouse).submit([claim_id])

    claim = aries.claims.get_claim(claim_id)
    assert claim.status is ClaimStatus.REJECTED and not claim.filed
    assert outcome.rejected[claim_id] == claim.rejection_reasons
    assert any(r.startswith("A7:187") and "future" in r for r in claim.rejection_reasons)


def test_a_claim_on_a_spouses_plan_goes_out_with_the_subscriber_and_a_patient_level(aries):
    ready = requested_claim(aries)
    patient = aries.patients.register_patient(demographics())
    coverage_id = uuid4()
    aries.patients.add_coverage(
        patient.id, coverage_id=coverage_id, payer_id="COM-AETNA", payer_name="Aetna",
        member_id="W987654321", group_number="G1", rank=CoverageRank.PRIMARY,
        relationship_to_subscriber=RelationshipToSubscriber.SPOUSE,
        effective_from=date(2025, 1, 1),
        subscriber=replace(demographics("Rivera"), first_name="Luis",
                           date_of_birth=date(1946, 7, 1), sex=Sex.MALE),
    )
    walker = uuid4()
    order = aries.orders.place_order(
        patient_id=patient.id, practitioner=PRACTITIONER, diagnoses=["E11.9"],
        order_date=DELIVERED_ON,
        lines=[OrderLine(walker, "E0143", 1, LineBilling.PURCHASE_NEW, None)],
    )
    aries.orders.verify_coverage(order.id, coverage_id=coverage_id, verified_on=DELIVERED_ON,
                                 eligible=True, same_or_similar_found=False)
    aries.orders.record_documents(order.id, swo_signed_on=DELIVERED_ON)
    aries.orders.deliver(order.id, delivered_on=DELIVERED_ON, pod=ProofOfDelivery(
        signer_name="Ana Rivera", relationship=SignerRelationship.PATIENT,
        signed_on=DELIVERED_ON))
    aries.claims.catch_up_all()
    spouse_claim = claim_id_for(order.id, f"{DELIVERED_ON:%Y-%m}", "COM-AETNA")
    aries.claims.submit(spouse_claim)

    clearinghouse = Recording(SandboxClearinghouse(clearinghouse_id="ARIESSANDBOX"))
    outcome = service(aries, clearinghouse).submit([spouse_claim, ready])

    assert outcome.refused == {}
    assert set(outcome.accepted) == {spouse_claim, ready}, outcome
    (sent,) = clearinghouse.sent
    assert_valid_x12(sent)
    rows = list(interchanges(sent)[0].segments)
    assert ("NM1", "IL", "1", "Rivera", "Luis", "", "", "", "MI", "W987654321") in rows
    assert ("DMG", "D8", "19460701", "M") in rows
    assert ("PAT", "01") in rows and ("NM1", "QC", "1", "Rivera", "Ana") in rows


def test_a_claim_of_the_batch_that_cannot_be_rendered_is_refused_alone(aries):
    from bench.claim_setup import delivered
    from domain.context import bound_context

    first, second = requested_claim(aries), requested_claim(aries)
    # A claim whose patient is not on record: the batch loads every patient in one query, and
    # this one's is missing from the answer.
    tenant = aries.claims.get_claim(first).tenant_id
    _, order, claims = delivered(DELIVERED_ON, DELIVERED_ON)
    with bound_context(tenant_id=tenant, actor_id="intake-1", actor_role="intake"):
        aries.orders.save(order)
        aries.claims.save(*claims)
        aries.claims.submit(claims[0].id)
    orphan = claims[0].id

    clearinghouse = Recording(SandboxClearinghouse(clearinghouse_id="ARIESSANDBOX"))
    outcome = service(aries, clearinghouse).submit([first, orphan, second])

    assert set(outcome.accepted) == {first, second}
    assert outcome.refused == {orphan: "NotFound"}
    assert len(clearinghouse.sent) == 1 and len(claim_ids_in(clearinghouse.sent[0])) == 2
    assert aries.claims.get_claim(orphan).status is ClaimStatus.SUBMISSION_REQUESTED
    # Delivered again, the message sends nothing new and refuses the same claim again.
    again = service(aries, clearinghouse).submit([first, orphan, second])
    assert set(again.skipped) == {first, second} and again.refused == {orphan: "NotFound"}
    assert len(clearinghouse.sent) == 1


# --- each claim reaches the clearinghouse once ---------------------------------------------------


def test_the_intent_is_recorded_before_the_interchange_goes_out(aries):
    claim_id = requested_claim(aries)
    seen_before_sending: list[object] = []

    class Watching(Recording):
        def transmit(self, interchange: str) -> str:
            claim = aries.claims.get_claim(claim_id)
            seen_before_sending.append(claim.pending_transmission)
            return super().transmit(interchange)

    clearinghouse = Watching(SandboxClearinghouse(clearinghouse_id="ARIESSANDBOX"))
    outcome = service(aries, clearinghouse).submit([claim_id])

    (intent,) = seen_before_sending
    assert intent.interchange_control_number == outcome.interchange_control_number
    assert intent.interchange_control_number == control_number_of(clearinghouse.sent[0])
    assert events_of(aries, claim_id)[-3:] == ["TransmissionPrepared", "Submitted", "Accepted"]
    assert aries.claims.get_claim(claim_id).pending_transmission is None


def test_a_redelivery_finds_the_interchange_at_the_clearinghouse_and_sends_nothing(aries):
    first, second = requested_claim(aries), requested_claim(aries)
    sandbox = SandboxClearinghouse(clearinghouse_id="ARIESSANDBOX")
    with pytest.raises(ClearinghouseUnavailable):
        service(aries, AnswerLost(sandbox)).submit([first, second])
    prepared = aries.claims.get_claim(first).pending_transmission.interchange_control_number

    clearinghouse = Recording(sandbox)
    outcome = service(aries, clearinghouse).submit([first, second])

    assert clearinghouse.sent == []
    assert set(outcome.accepted) == {first, second}
    for claim_id in (first, second):
        claim = aries.claims.get_claim(claim_id)
        assert claim.status is ClaimStatus.ACCEPTED
        assert claim.interchange_control_number == prepared
        assert events_of(aries, claim_id).count("Submitted") == 1


def test_submitted_and_the_acknowledgements_are_recorded_in_one_save(aries):
    """One transaction (the log holds each claim's events together, claim after claim), not
    one for `Submitted` on every claim and another for the acknowledgements."""
    first, second = requested_claim(aries), requested_claim(aries)
    before = aries.claims.recorder.max_notification_id() or 0
    service(aries, SandboxClearinghouse(clearinghouse_id="ARIESSANDBOX")).submit([first, second])

    logged = [
        (n.originator_id, n.topic.rsplit(".", 1)[-1])
        for n in aries.claims.recorder.select_notifications(before + 1, 100)
        if not n.topic.endswith("TransmissionPrepared")
    ]
    assert [topic for _, topic in logged] == ["Submitted", "Accepted"] * 2
    assert logged[0][0] == logged[1][0] and logged[2][0] == logged[3][0]


def test_an_answer_whose_save_conflicts_records_nothing_and_the_retry_reconciles_it(aries):
    """`Submitted` and the acknowledgements go in one save: when another process changed a
    claim of the batch while the interchange was out, none of it is recorded, and the retry
    finds the interchange at the clearinghouse instead of sending it again."""
    first, second = requested_claim(aries), requested_claim(aries)
    sandbox = SandboxClearinghouse(clearinghouse_id="ARIESSANDBOX")

    class ChangedMeanwhile(Recording):
        def transmit(self, interchange: str) -> str:
            answer = super().transmit(interchange)
            claim = aries.claims.get_claim(second)  # a second delivery prepares it again
            intent = claim.pending_transmission
            claim.prepare_transmission(
                intent.interchange_control_number, [first, second], intent.prepared_at
            )
            aries.claims.commit(claim)
            return answer

    with pytest.raises(SubmissionConflict):
        service(aries, ChangedMeanwhile(sandbox)).submit([first, second])
    for claim_id in (first, second):
        assert aries.claims.get_claim(claim_id).status is ClaimStatus.SUBMISSION_REQUESTED
        assert "Submitted" not in events_of(aries, claim_id)

    retry = Recording(sandbox)
    outcome = service(aries, retry).submit([first, second])

    assert retry.sent == []
    assert set(outcome.accepted) == {first, second}
    for claim_id in (first, second):
        assert events_of(aries, claim_id)[-2:] == ["Submitted", "Accepted"]
        assert events_of(aries, claim_id).count("Submitted") == 1


def test_an_interchange_the_clearinghouse_never_received_goes_again_under_its_own_number(aries):
    claim_id = requested_claim(aries)
    sandbox = SandboxClearinghouse(clearinghouse_id="ARIESSANDBOX")
    with pytest.raises(ClearinghouseUnavailable):
        service(aries, AnswerLost(sandbox, delivered=False)).submit([claim_id])
    intent = aries.claims.get_claim(claim_id).pending_transmission

    clearinghouse = Recording(sandbox)
    outcome = service(aries, clearinghouse).submit([claim_id])

    (sent,) = clearinghouse.sent
    assert_valid_x12(sent)
    assert control_number_of(sent) == intent.interchange_control_number
    assert outcome.accepted == (claim_id,)
    claim = aries.claims.get_claim(claim_id)
    assert claim.interchange_control_number == intent.interchange_control_number


def test_a_later_claim_of_an_interchange_reconciles_it_through_the_first_claims_list(aries):
    """The claim list is stored on the interchange's first claim only (TransmissionPrepared
    version 2): a message naming only a later claim still reconciles the whole interchange."""
    first, second = requested_claim(aries), requested_claim(aries)
    sandbox = SandboxClearinghouse(clearinghouse_id="ARIESSANDBOX")
    with pytest.raises(ClearinghouseUnavailable):
        service(aries, AnswerLost(sandbox)).submit([first, second])
    assert aries.claims.get_claim(second).pending_transmission.claim_ids == ()

    retry = Recording(sandbox)
    outcome = service(aries, retry).submit([second])

    assert retry.sent == []
    assert set(outcome.accepted) == {first, second}
    for claim_id in (first, second):
        assert events_of(aries, claim_id)[-2:] == ["Submitted", "Accepted"]


def test_a_later_claim_finds_the_list_in_the_first_claims_history_once_it_went_out(aries):
    first, second = requested_claim(aries), requested_claim(aries)
    sandbox = SandboxClearinghouse(clearinghouse_id="ARIESSANDBOX")
    with pytest.raises(ClearinghouseUnavailable):
        service(aries, AnswerLost(sandbox)).submit([first, second])
    claim = aries.claims.get_claim(first)
    icn = claim.pending_transmission.interchange_control_number
    claim.record_submission(icn, datetime.now(UTC))  # the first went out on its own meanwhile
    aries.claims.commit(claim)

    retry = Recording(sandbox)
    outcome = service(aries, retry).submit([second])

    assert retry.sent == []
    assert outcome.accepted == (second,)  # its verdict read in its place: set 0001, claim 2
    assert aries.claims.get_claim(second).interchange_control_number == icn


def test_a_resend_refused_as_a_duplicate_is_reconciled_from_the_clearinghouse(aries):
    claim_id = requested_claim(aries)
    sandbox = SandboxClearinghouse(clearinghouse_id="ARIESSANDBOX")
    with pytest.raises(ClearinghouseUnavailable):
        service(aries, AnswerLost(sandbox)).submit([claim_id])

    clearinghouse = LateRecords(sandbox)
    outcome = service(aries, clearinghouse).submit([claim_id])

    assert len(clearinghouse.sent) == 1  # refused with TA1 025: the first copy stands
    assert outcome.accepted == (claim_id,)
    assert aries.claims.get_claim(claim_id).status is ClaimStatus.ACCEPTED


def test_an_interchange_received_but_not_yet_acknowledged_is_recorded_submitted_only(aries):
    claim_id = requested_claim(aries)
    with pytest.raises(ClearinghouseUnavailable):
        service(aries, AnswerLost(SandboxClearinghouse(clearinghouse_id="ARIESSANDBOX"))).submit(
            [claim_id])
    intent = aries.claims.get_claim(claim_id).pending_transmission

    class ReceivedNoAnswerYet(Recording):
        def look_up(self, interchange_control_number: str) -> TransmissionRecord:
            return TransmissionRecord(received=True)

    clearinghouse = ReceivedNoAnswerYet(SandboxClearinghouse(clearinghouse_id="ARIESSANDBOX"))
    outcome = service(aries, clearinghouse).submit([claim_id])

    assert clearinghouse.sent == []
    assert outcome.submitted == outcome.unacknowledged == (claim_id,)
    claim = aries.claims.get_claim(claim_id)
    assert claim.status is ClaimStatus.SUBMITTED
    assert claim.interchange_control_number == intent.interchange_control_number


def test_when_the_clearinghouse_cannot_say_the_claims_wait_for_a_person(aries):
    claim_id = requested_claim(aries)
    sandbox = SandboxClearinghouse(clearinghouse_id="ARIESSANDBOX")
    with pytest.raises(ClearinghouseUnavailable):
        service(aries, AnswerLost(sandbox)).submit([claim_id])

    clearinghouse = NoStatusService(sandbox)
    outcome = service(aries, clearinghouse).submit([claim_id])
    again = service(aries, clearinghouse).submit([claim_id])

    assert clearinghouse.sent == []
    assert outcome.unconfirmed == (claim_id,)
    assert again.skipped == (claim_id,)
    claim = aries.claims.get_claim(claim_id)
    assert claim.status is ClaimStatus.TRANSMISSION_UNCONFIRMED
    assert events_of(aries, claim_id).count("TransmissionUnconfirmed") == 1


# --- the HTTP adapter against a real local server ------------------------------------------------


class ClearinghouseServer(BaseHTTPRequestHandler):
    """/ok answers as the sandbox would; /slow answers too late; /unavailable 503;
    /garbage 200 with a body that is not X12; /refused 400."""

    sandbox = SandboxClearinghouse(clearinghouse_id="ARIESSANDBOX")

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"])).decode("ascii")
        if self.path == "/slow":
            time.sleep(3)
        if self.path == "/unavailable":
            return self._answer(503, "try later")
        if self.path == "/refused":
            return self._answer(400, "bad request")
        if self.path == "/garbage":
            return self._answer(200, "<html>maintenance</html>")
        return self._answer(200, self.sandbox.transmit(body))

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        """The status query: /ok/<ISA13> as the sandbox knows it; /accepted/<ISA13> 202;
        /nostatus 501 (no status service); /unavailable 503; /garbage 200, not X12."""
        path, _, icn = self.path.rpartition("/")
        if path == "/ok":
            record = self.sandbox.look_up(icn)
            return self._answer(200, record.answer) if record.received else self._answer(
                404, "no such interchange")
        statuses = {"/accepted": (202, ""), "/nostatus": (501, "not implemented"),
                    "/unavailable": (503, "try later"), "/garbage": (200, "<html>hi</html>")}
        return self._answer(*statuses.get(path, (404, "no such interchange")))

    def _answer(self, status: int, text: str) -> None:
        data = text.encode("ascii")
        self.send_response(status)
        self.send_header("Content-Type", "application/edi-x12")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (the /slow case)

    def log_message(self, *args) -> None:  # keep test output quiet
        pass


@pytest.fixture(scope="module")
def clearinghouse_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ClearinghouseServer)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def http_adapter(url: str, timeout_seconds: float = 30.0) -> HttpClearinghouse:
    return HttpClearinghouse(url, timeout_seconds=timeout_seconds)


def test_http_clearinghouse_submission_is_acknowledged_from_the_answer(aries, clearinghouse_url):
    claim_id = requested_claim(aries)
    outcome = service(aries, http_adapter(f"{clearinghouse_url}/ok")).submit([claim_id])
    assert outcome.accepted == (claim_id,)
    assert aries.claims.get_claim(claim_id).status is ClaimStatus.ACCEPTED


@pytest.mark.parametrize("path", ["/unavailable", "/slow"])
def test_http_clearinghouse_5xx_or_timeout_is_transient_and_leaves_the_prepared_interchange(
    aries, clearinghouse_url, path
):
    claim_id = requested_claim(aries)
    with pytest.raises(ClearinghouseUnavailable) as failed:
        service(aries, http_adapter(clearinghouse_url + path, 0.5)).submit([claim_id])
    assert isinstance(failed.value, TransientFailure)
    claim = aries.claims.get_claim(claim_id)
    assert claim.status is ClaimStatus.SUBMISSION_REQUESTED
    assert claim.pending_transmission is not None
    assert claim.pending_transmission.claim_ids == (claim_id,)
    assert events_of(aries, claim_id)[-1] == "TransmissionPrepared"


def test_http_clearinghouse_4xx_is_a_permanent_refusal(clearinghouse_url):
    with pytest.raises(ClearinghouseRefused) as refused:
        http_adapter(f"{clearinghouse_url}/refused").transmit("ISA...")
    assert not isinstance(refused.value, TransientFailure)


def test_http_clearinghouse_malformed_answer_is_reported_by_the_adapter(clearinghouse_url):
    with pytest.raises(MalformedAnswer):
        http_adapter(f"{clearinghouse_url}/garbage").transmit("ISA...")


def test_claims_sent_but_answered_unreadably_stay_submitted_awaiting_acknowledgement(
    aries, clearinghouse_url
):
    claim_id = requested_claim(aries)
    outcome = service(aries, http_adapter(f"{clearinghouse_url}/garbage")).submit([claim_id])
    assert outcome.submitted == outcome.unacknowledged == (claim_id,)
    claim = aries.claims.get_claim(claim_id)
    assert claim.status is ClaimStatus.SUBMITTED
    assert claim.interchange_control_number == outcome.interchange_control_number


def test_http_status_query_gives_the_answer_to_an_interchange_the_clearinghouse_has(
    aries, clearinghouse_url
):
    claim_id = requested_claim(aries)
    adapter = http_adapter(f"{clearinghouse_url}/ok")
    outcome = service(aries, adapter).submit([claim_id])

    record = adapter.look_up(outcome.interchange_control_number)

    assert record.received
    assert outcome.interchange_control_number in record.answer
    assert "ST*277*" in record.answer


def test_http_status_query_404_means_the_interchange_never_arrived(clearinghouse_url):
    assert http_adapter(f"{clearinghouse_url}/ok").look_up("999999998") == TransmissionRecord(
        received=False)


def test_http_status_query_202_means_received_without_acknowledgement_yet(clearinghouse_url):
    record = http_adapter(f"{clearinghouse_url}/accepted").look_up("000000001")
    assert record == TransmissionRecord(received=True)


@pytest.mark.parametrize("path", ["/nostatus", "/garbage"])
def test_http_status_query_that_says_nothing_usable_is_unknown(clearinghouse_url, path):
    with pytest.raises(TransmissionStatusUnknown):
        http_adapter(clearinghouse_url + path).look_up("000000001")


def test_http_status_query_5xx_is_transient(clearinghouse_url):
    with pytest.raises(ClearinghouseUnavailable):
        http_adapter(f"{clearinghouse_url}/unavailable").look_up("000000001")


# --- control numbers --------------------------------------------------------------------------


def test_control_numbers_are_unique_and_increasing_across_threads(aries):
    numbers = RedisControlNumbers(aries.redis, f"aries-test:{uuid4().hex}:")
    taken: list[list[int]] = [[] for _ in range(4)]

    def take(mine: list[int]) -> None:
        for _ in range(50):
            mine.append(numbers.next_interchange())

    threads = [threading.Thread(target=take, args=(mine,)) for mine in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [n for mine in taken for n in mine]
    assert len(set(everything)) == 200
    assert all(mine == sorted(mine) for mine in taken)
    aries.redis.delete(numbers.key)


def test_control_numbers_resume_above_every_number_given_when_redis_loses_them(aries):
    # Numbers sent at fewer than one per second stay below the clock's floor, so a lost key
    # resumes above all of them.
    clock = FixedClock(datetime.now(UTC))
    numbers = RedisControlNumbers(aries.redis, f"aries-test:{uuid4().hex}:", clock)
    given = []
    for _ in range(5):
        given.append(numbers.next_interchange())
        clock.at += timedelta(seconds=2)
    aries.redis.delete(numbers.key)
    assert numbers.next_interchange() > max(given)
    aries.redis.delete(numbers.key)
