"""The spool's files: records read back exactly, torn or damaged ones skipped and never misread,
fsync'd before `append` returns, and segments drained only once no live writer holds them."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schema.spool import MAGIC, Spool, SpoolError, decode, encode

ROOT = Path(__file__).resolve().parents[2]

RECORDS = [
    {"kind": "sms", "f": {"sid": "SM1", "body": "My legs keep giving way"}},
    {"kind": "sms", "f": {"sid": "SM2", "body": "ŵ ą 😀 \x00 and a fake header: \xabSN1"}},
    {"kind": "status", "f": {"sid": "SM3", "status": "delivered", "m": 12}},
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
records_strategy = st.lists(
    st.dictionaries(st.text(max_size=8), json_values, min_size=1, max_size=4),
    min_size=1,
    max_size=6,
)


def test_records_are_read_back_exactly_as_written_whatever_their_text() -> None:
    data = b"".join(encode(record) for record in RECORDS)
    decoded = decode(data)
    assert decoded.records == RECORDS
    assert decoded.skipped_bytes == 0


def test_the_spools_marker_never_occurs_inside_a_payload_so_no_reply_can_forge_a_record() -> None:
    forged = encode({"x": 1})
    frame = encode({"body": forged.decode("latin-1")})
    assert frame.count(MAGIC) == 1
    assert decode(frame).records == [{"body": forged.decode("latin-1")}]


def test_every_torn_last_record_is_skipped_and_every_record_before_it_is_read() -> None:
    frames = [encode(record) for record in RECORDS]
    whole = b"".join(frames)
    before_last = len(whole) - len(frames[-1])
    for cut in range(before_last, len(whole)):
        decoded = decode(whole[:cut])
        assert decoded.records == RECORDS[:-1], cut
        assert decoded.skipped_bytes == cut - before_last


@settings(max_examples=150, deadline=None)
@given(records=records_strategy, cut=st.integers(min_value=0), flip=st.integers(min_value=0))
def test_any_truncation_or_damaged_byte_yields_only_records_that_were_written(
    records: list[dict[str, Any]], cut: int, flip: int
) -> None:
    data = bytearray(b"".join(encode(record) for record in records))
    truncated = bytes(data[: cut % (len(data) + 1)])
    assert _is_prefix(decode(truncated).records, records)
    position = flip % len(data)
    data[position] ^= 0x41
    damaged = decode(bytes(data)).records
    assert all(record in records for record in damaged)
    assert len(damaged) >= len(records) - 1  # only the damaged record is lost


def _is_prefix(found: list[dict[str, Any]], written: list[dict[str, Any]]) -> bool:
    return found == written[: len(found)]


def test_a_damaged_record_in_the_middle_is_skipped_and_the_records_after_it_are_read() -> None:
    frames = [encode(record) for record in RECORDS]
    middle = bytearray(frames[1])
    middle[-3] ^= 0xFF
    decoded = decode(frames[0] + bytes(middle) + frames[2])
    assert decoded.records == [RECORDS[0], RECORDS[2]]
    assert decoded.skipped_bytes == len(middle)


def test_append_fsyncs_the_segment_and_its_directory_before_it_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[str] = []
    real_fsync = os.fsync

    def recording_fsync(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", recording_fsync)
    spool = Spool(tmp_path / "spool")
    spool.append(RECORDS[0])
    (segment,) = spool.segments()
    assert str(segment) in synced
    assert str(tmp_path / "spool") in synced  # the new file's directory entry is durable too
    synced.clear()
    spool.append(RECORDS[1])
    assert synced == [str(segment)]
    assert decode(segment.read_bytes()).records == RECORDS[:2]
    assert stat.S_IMODE(segment.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "spool").stat().st_mode) == 0o700


def test_a_segment_is_not_drained_while_its_writer_holds_it_and_is_once_it_is_closed(
    tmp_path: Path,
) -> None:
    writer, drainer = Spool(tmp_path), Spool(tmp_path)
    writer.append(RECORDS[0])
    (segment,) = drainer.segments()
    with drainer.claim(segment) as decoded:
        assert decoded is None
    assert writer.rotate() == segment
    with drainer.claim(segment) as decoded:
        assert decoded is not None
        assert decoded.records == [RECORDS[0]]
        drainer.remove(segment)
    assert drainer.segments() == []
    writer.append(RECORDS[1])  # a new segment, not the removed one
    assert len(drainer.segments()) == 1
    assert drainer.segments()[0] != segment


def test_only_one_drainer_at_a_time_holds_a_spool_directory(tmp_path: Path) -> None:
    first, second = Spool(tmp_path), Spool(tmp_path)
    with first.drain_lock() as held:
        assert held
        with second.drain_lock() as also:
            assert not also
    with second.drain_lock() as held:
        assert held


WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from schema.spool import Spool
    spool = Spool(Path(sys.argv[1]))
    for i in range(5):
        spool.append({"kind": "sms", "f": {"sid": f"SM{i}"}})
    with spool.drain_lock():
        print("ready", flush=True)
        time.sleep(60)
    """
)


def test_the_segment_of_a_writer_killed_with_sigkill_is_drained_whole(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        spool = Spool(tmp_path)
        (segment,) = spool.segments()
        with spool.claim(segment) as decoded:
            assert decoded is None  # the writer is alive and holds it
        with spool.drain_lock() as held:
            assert not held  # ... and the directory's drainer lock, across processes
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        with spool.drain_lock() as held, spool.claim(segment) as decoded:
            assert held
            assert decoded is not None
            assert [r["f"]["sid"] for r in decoded.records] == [f"SM{i}" for i in range(5)]
    finally:
        process.kill()
        process.wait(timeout=10)


def test_a_spool_that_cannot_be_written_raises_rather_than_pretending(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    with pytest.raises(SpoolError):
        Spool(blocker / "spool").append(RECORDS[0])


def test_depth_counts_waiting_records_and_quarantined_ones(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    assert spool.depth().records == 0
    for record in RECORDS:
        spool.append(record)
    spool.rotate()
    spool.append(RECORDS[0])
    spool.quarantine(RECORDS[1])
    depth = spool.depth()
    assert (depth.records, depth.segments, depth.quarantined) == (4, 2, 1)
    assert depth.oldest is not None
