"""The loop counting `application.x12.validation` gives pyx12 drops the same counts as
pyx12's own `NodeCounter.reset_to_node`."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from pyx12.nodeCounter import NodeCounter

from application.x12 import validation

PYX12_RESET = NodeCounter.reset_to_node  # captured before any check installs ours
LOOPS = st.sampled_from(["ISA_LOOP", "GS_LOOP", "ST_LOOP", "DETAIL", "2000A", "2000B", "2300",
                         "2400", "2010AA", "2010BA"])
PATHS = st.builds(
    lambda loops, segment: "/" + "/".join(loops) + (f"/{segment}" if segment else ""),
    st.lists(LOOPS, min_size=1, max_size=5),
    st.sampled_from(["", "CLM", "SV1", "NM1[85]", "DTP[472]", "LX"]),
)


@given(st.lists(PATHS, min_size=1, max_size=40), PATHS)
def test_reset_to_node_drops_exactly_what_pyx12_drops(counted, reset_to):
    ours, theirs = NodeCounter(), NodeCounter()
    for path in counted:
        ours.increment(path)
        theirs.increment(path)
    validation._reset_to_node(ours, reset_to)
    PYX12_RESET(theirs, reset_to)
    assert list(ours.getState().items()) == list(theirs.getState().items())
