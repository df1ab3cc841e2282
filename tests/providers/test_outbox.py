from __future__ import annotations

import json
import multiprocessing
import stat
import threading
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from messages.sms import sms_info
from worker.providers.base import Outgoing
from worker.providers.outbox import OutboxProvider, outbox_path, read_outbox

# Long enough that a torn or interleaved write would show.
LONG_BODY = "Numbness in your legs? Call the MSCC line now \u2013 0113 496 0001. " * 40


def _sms(message_id: int, body: str = "Hello from the safety net") -> Outgoing:
    return Outgoing(message_id=message_id, channel="sms", to="+447700900123", body=body)


def _append_many(directory: str, worker: int, count: int) -> None:
    provider = OutboxProvider(Path(directory), "sms")
    for n in range(count):
        provider.send(_sms(worker * 10_000 + n, f"{worker}:{n} {LONG_BODY}"))


def test_an_sms_is_recorded_as_one_json_line_with_its_segments(tmp_path: Path) -> None:
    provider = OutboxProvider(tmp_path, "sms")

    result = provider.send(_sms(7, LONG_BODY))

    [record] = read_outbox(tmp_path, "sms")
    assert result.provider == "outbox"
    assert result.provider_message_id.startswith("OB") and len(result.provider_message_id) == 34
    assert result.segments == sms_info(LONG_BODY).segments
    assert record["provider_message_id"] == result.provider_message_id
    assert record["message_id"] == 7
    assert record["channel"] == "sms"
    assert record["to"] == "+447700900123"
    assert record["body"] == LONG_BODY
    assert record["sent_at"].endswith("+00:00")


def test_an_email_is_recorded_with_subject_and_html_and_no_segments(tmp_path: Path) -> None:
    provider = OutboxProvider(tmp_path, "email")
    outgoing = Outgoing(
        message_id=1,
        channel="email",
        to="patient@example.org",
        body="Plain words",
        subject="Your safety net",
        html="<p>Plain words</p>",
    )

    result = provider.send(outgoing)

    [record] = read_outbox(tmp_path, "email")
    assert result.segments is None
    assert record["subject"] == "Your safety net"
    assert record["html"] == "<p>Plain words</p>"
    assert read_outbox(tmp_path, "sms") == []


def test_the_outbox_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    OutboxProvider(tmp_path / "outbox", "sms").send(_sms(1))

    mode = stat.S_IMODE(outbox_path(tmp_path / "outbox", "sms").stat().st_mode)
    assert mode == 0o600


def test_reading_the_outbox_leaves_out_a_line_still_being_written(tmp_path: Path) -> None:
    OutboxProvider(tmp_path, "sms").send(_sms(1))
    with outbox_path(tmp_path, "sms").open("a") as file:
        file.write('{"provider_message_id": "OB12')

    assert [record["message_id"] for record in read_outbox(tmp_path, "sms")] == [1]


def test_threads_appending_at_once_leave_every_line_whole(tmp_path: Path) -> None:
    threads = [
        threading.Thread(target=_append_many, args=(str(tmp_path), worker, 100))
        for worker in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    records = read_outbox(tmp_path, "sms")
    assert len(records) == 800
    assert len({record["provider_message_id"] for record in records}) == 800


def test_processes_appending_at_once_leave_every_line_whole(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=4, mp_context=context) as pool:
        futures = [pool.submit(_append_many, str(tmp_path), worker, 150) for worker in range(4)]
        for future in futures:
            future.result()

    lines = outbox_path(tmp_path, "sms").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert len(records) == 600
    for record in records:
        worker, n = record["body"].split(" ", 1)[0].split(":")
        assert record["message_id"] == int(worker) * 10_000 + int(n)
        assert record["body"].endswith(LONG_BODY)
