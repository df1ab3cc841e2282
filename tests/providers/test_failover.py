"""The failover provider's choices, with scripted providers and a simulated clock."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from worker.providers.base import (
    Outgoing,
    PermanentError,
    PermanentReason,
    SendResult,
    TransientError,
)
from worker.providers.failover import FailoverSmsProvider
from worker.providers.health import SLOW_CHECK_EVERY_SECONDS, ProviderHealth


@dataclass
class Scripted:
    name: str
    failures: list[Exception] = field(default_factory=list)
    sent: list[int] = field(default_factory=list)

    def send(self, outgoing: Outgoing) -> SendResult:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(outgoing.message_id)
        return SendResult(self.name, f"{self.name}-{outgoing.message_id}")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def alert(message_id: int = 1) -> Outgoing:
    return Outgoing(message_id, "sms", "+447700900101", "Red alert", urgent=True)


def bulk(message_id: int = 1) -> Outgoing:
    return Outgoing(message_id, "sms", "+447700900300", "Check-in")


def make(
    *, bulk_may_fail_over: bool = False, slow: set[str] | None = None
) -> tuple[FailoverSmsProvider, Scripted, Scripted, Clock]:
    twilio, notify, clock = Scripted("twilio"), Scripted("notify"), Clock()
    health = ProviderHealth(failing_seconds=60, clock=clock, read_slow=lambda: set(slow or ()))
    failover = FailoverSmsProvider([twilio, notify], health, bulk_may_fail_over=bulk_may_fail_over)
    return failover, twilio, notify, clock


def test_an_alert_twilio_refuses_with_a_5xx_goes_by_notify_in_the_same_call() -> None:
    failover, twilio, notify, _ = make()
    twilio.failures = [TransientError("HTTP 500", code="http-500")]
    result = failover.send(alert())
    assert result.provider == "notify" and notify.sent == [1]


def test_after_a_failure_alerts_go_straight_to_the_other_until_the_failing_time_is_over() -> None:
    failover, twilio, notify, clock = make()
    twilio.failures = [TransientError("timeout", code="timeout")]
    failover.send(alert(1))
    failover.send(alert(2))  # Twilio is not asked: no second wait for its timeout
    assert twilio.sent == [] and notify.sent == [1, 2]
    clock.now += 61
    failover.send(alert(3))
    assert twilio.sent == [3]


def test_a_bulk_message_is_not_failed_over_and_stays_with_the_first_provider() -> None:
    failover, twilio, notify, _ = make()
    twilio.failures = [TransientError("HTTP 503", code="http-503")]
    with pytest.raises(TransientError):
        failover.send(bulk(1))
    failover.send(bulk(1))  # its retry: patients reply to check-ins, so it waits for Twilio
    assert twilio.sent == [1] and notify.sent == []


def test_with_bulk_failover_on_bulk_avoids_a_failing_provider() -> None:
    failover, twilio, notify, _ = make(bulk_may_fail_over=True)
    twilio.failures = [TransientError("HTTP 503", code="http-503")]
    with pytest.raises(TransientError):
        failover.send(bulk(1))
    failover.send(bulk(1))  # its retry
    assert notify.sent == [1]


def test_bulk_moves_off_a_provider_slow_by_notifys_rule_only_when_allowed() -> None:
    allowed, twilio, notify, _ = make(bulk_may_fail_over=True, slow={"twilio"})
    allowed.send(bulk(1))
    assert notify.sent == [1] and twilio.sent == []
    kept, twilio, notify, _ = make(bulk_may_fail_over=False, slow={"twilio"})
    kept.send(bulk(1))
    assert twilio.sent == [1]


def test_alerts_prefer_a_provider_that_is_not_slow() -> None:
    failover, _twilio, notify, _ = make(slow={"twilio"})
    failover.send(alert())
    assert notify.sent == [1]


def test_when_both_are_slow_the_configured_order_stands() -> None:
    failover, twilio, _notify, _ = make(slow={"twilio", "notify"})
    failover.send(alert())
    assert twilio.sent == [1]


def test_a_refusal_about_the_recipient_is_final_and_not_sent_elsewhere() -> None:
    failover, twilio, notify, _ = make()
    twilio.failures = [PermanentError("21211", reason=PermanentReason.INVALID_NUMBER)]
    with pytest.raises(PermanentError):
        failover.send(alert())
    assert notify.sent == []


def test_an_alert_refused_for_the_providers_own_reasons_tries_the_other() -> None:
    failover, twilio, _notify, _ = make()
    twilio.failures = [PermanentError("21606", reason=PermanentReason.REJECTED)]
    assert failover.send(alert()).provider == "notify"


def test_when_both_fail_the_first_failure_is_raised_so_the_alert_is_retried() -> None:
    failover, twilio, notify, _ = make()
    first = TransientError("HTTP 500", code="http-500")
    twilio.failures = [first]
    notify.failures = [TransientError("HTTP 502", code="notify-502")]
    with pytest.raises(TransientError) as raised:
        failover.send(alert())
    assert raised.value is first
    assert failover.health.failing("twilio") and failover.health.failing("notify")


def test_the_other_providers_set_up_refusing_an_alert_leaves_it_to_be_retried() -> None:
    failover, twilio, notify, _ = make()
    twilio.failures = [TransientError("HTTP 500", code="http-500")]
    notify.failures = [PermanentError("no template", reason=PermanentReason.REJECTED)]
    with pytest.raises(TransientError):
        failover.send(alert())


def test_slowness_is_read_at_most_once_a_minute() -> None:
    reads: list[int] = []
    clock = Clock()

    def read() -> set[str]:
        reads.append(1)
        return set()

    health = ProviderHealth(clock=clock, read_slow=read)
    for _ in range(5):
        health.slow("twilio")
    clock.now += SLOW_CHECK_EVERY_SECONDS
    health.slow("twilio")
    assert len(reads) == 2
