"""The MLLP listener over real sockets: ACKs, bad messages, bad framing, size, slow senders."""

from __future__ import annotations

import socket
import time

import pytest

from messages.mllp_frames import frame
from testing.adt_messages import adt
from testing.mllp_sender import MllpSender, ack_fields, err_segments
from tests.hl7.conftest import Recorder, running
from worker.mllp import MllpLimits, MllpServer


def sender(server: MllpServer, **options: float) -> MllpSender:
    host, port = server.address
    return MllpSender(host, port, **options)  # type: ignore[arg-type]


def test_an_a01_over_mllp_is_handed_over_parsed_and_answered_aa(
    mllp_server: MllpServer, recorder: Recorder
) -> None:
    with sender(mllp_server) as client:
        ack = client.send(adt("A01", control_id="C1"))
    assert ack_fields(ack)["MSA"][1:3] == ["AA", "C1"]
    (received,) = recorder.received
    assert received.event is not None and received.error is None
    assert received.event.patient.nhs_number == "9434765919"
    assert received.raw == adt("A01", control_id="C1").encode()
    assert received.peer.startswith("127.0.0.1:")


def test_messages_on_one_connection_are_answered_in_order_even_when_pipelined(
    mllp_server: MllpServer, recorder: Recorder
) -> None:
    with sender(mllp_server) as client:
        client.send_raw(b"".join(frame(adt(control_id=f"P{i}").encode()) for i in range(5)))
        acks = [client.read_reply() for _ in range(5)]
    assert [ack_fields(a)["MSA"][2] for a in acks] == [f"P{i}" for i in range(5)]
    assert [r.event.header.control_id for r in recorder.received if r.event] == [
        f"P{i}" for i in range(5)
    ]


def test_a_message_sent_one_byte_at_a_time_is_reassembled(mllp_server: MllpServer) -> None:
    with sender(mllp_server) as client:
        client.send_raw(frame(adt(control_id="SLOW1").encode()), byte_by_byte=True)
        assert ack_fields(client.read_reply())["MSA"][1:3] == ["AA", "SLOW1"]


def test_a_malformed_segment_gets_ae_naming_the_field_and_the_handler_sees_the_error(
    mllp_server: MllpServer, recorder: Recorder
) -> None:
    with sender(mllp_server) as client:
        ack = client.send(adt(pid3="RX1^^^RXX^MR", control_id="BAD1"))
        # The connection stays usable after a content error.
        good = client.send(adt(control_id="GOOD1"))
    assert ack_fields(ack)["MSA"][1:3] == ["AE", "BAD1"]
    assert err_segments(ack)[0][8].startswith("PID-3: no NHS number")
    assert ack_fields(good)["MSA"][1] == "AA"
    bad = recorder.received[0]
    assert bad.event is None and bad.error is not None
    assert bad.header is not None and bad.header.control_id == "BAD1"


def test_unframed_data_gets_an_ar_and_the_connection_is_closed(
    mllp_server: MllpServer, recorder: Recorder
) -> None:
    with sender(mllp_server) as client:
        client.send_raw(adt().encode())  # no MLLP start block
        ack = client.read_reply()
        assert client.closed_by_peer()
    assert ack_fields(ack)["MSA"][1:4] == [
        "AR",
        "",
        "MLLP: data outside a frame (a message must start with 0x0B)",
    ]
    assert recorder.received == []
    assert mllp_server.stats.framing_errors == 1


def test_an_oversized_message_is_refused_without_reading_it_all() -> None:
    recorder = Recorder()
    with running(recorder, MllpLimits(max_message_bytes=10_000)) as server:
        with sender(server) as client:
            client.send_raw(b"\x0bMSH|" + b"x" * 20_000)
            ack = client.read_reply()
            assert client.closed_by_peer()
            with pytest.raises(OSError):
                for _ in range(200):  # the server has stopped reading: writes soon fail
                    client.send_raw(b"x" * 65536)
        assert "message longer than 10000 bytes" in ack_fields(ack)["MSA"][3]
        assert recorder.received == []
        with sender(server) as client:  # and everyone else is still served
            assert ack_fields(client.send(adt()))["MSA"][1] == "AA"


def test_a_sender_that_stalls_inside_a_message_is_cut_off_and_others_are_served() -> None:
    recorder = Recorder()
    with running(recorder, MllpLimits(frame_timeout=0.3)) as server:
        with sender(server) as stalled, sender(server) as other:
            stalled.send_raw(b"\x0bMSH|^~\\&|half a message")
            assert ack_fields(other.send(adt(control_id="OTHER")))["MSA"][1] == "AA"
            started = time.monotonic()
            assert stalled.closed_by_peer(timeout=3)
            assert time.monotonic() - started < 2
        assert server.stats.timeouts == 1
        assert [r.event.header.control_id for r in recorder.received if r.event] == ["OTHER"]


def test_an_idle_connection_between_messages_is_kept_open_by_default(
    mllp_server: MllpServer,
) -> None:
    with sender(mllp_server) as client:
        assert ack_fields(client.send(adt(control_id="FIRST")))["MSA"][1] == "AA"
        assert not client.closed_by_peer(timeout=0.5)
        assert ack_fields(client.send(adt(control_id="LATER")))["MSA"][1] == "AA"


def test_connections_beyond_the_limit_are_closed_and_room_frees_up() -> None:
    with running(Recorder(), MllpLimits(max_connections=3)) as server:
        clients = [sender(server) for _ in range(3)]
        for client in clients:  # each is being served
            assert ack_fields(client.send(adt()))["MSA"][1] == "AA"
        with sender(server) as extra:
            assert extra.closed_by_peer()
        clients.pop().close()
        deadline = time.monotonic() + 2
        while server.stats.refused < 2 and time.monotonic() < deadline:
            with sender(server) as late:
                try:
                    if ack_fields(late.send(adt()))["MSA"][1] == "AA":
                        break
                except ConnectionError:
                    time.sleep(0.05)
        else:
            pytest.fail("a freed connection slot was never reused")
        for client in clients:
            client.close()
        assert server.stats.refused >= 1


def test_when_the_handler_fails_no_ack_is_sent_so_the_sender_sends_again(
    mllp_server: MllpServer, recorder: Recorder
) -> None:
    recorder.fail_next = 1
    with sender(mllp_server) as client, pytest.raises(ConnectionError):
        client.send(adt(control_id="RETRY1"))
    with sender(mllp_server) as client:
        ack = client.send(adt(control_id="RETRY1"))
    assert ack_fields(ack)["MSA"][1:3] == ["AA", "RETRY1"]
    assert len(recorder.received) == 2
    assert mllp_server.stats.handler_failures == 1


def test_stopping_the_server_closes_its_port() -> None:
    with running(Recorder()) as server:
        host, port = server.address
    with pytest.raises(OSError):
        socket.create_connection((host, port), timeout=1).close()
