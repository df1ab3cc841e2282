"""Two SMS providers behind one face. Alerts go to the first provider that is not failing (and,
of those, not slow) and, when it fails with a 5xx, a timeout or no connection, to the other at
once, in the same task. Bulk goes to the configured first provider unless it is slow by
Notify's rule or failing, and then to the other only when bulk may use it (patients reply to
check-ins: see NOTIFY_BULK_FAILOVER); a bulk message that fails is retried later, when the
order may have changed. A refusal about the recipient (invalid number, opted out) is final:
the other provider would refuse it too."""

from __future__ import annotations

from collections.abc import Sequence

import structlog

from worker.providers.base import (
    Outgoing,
    PermanentError,
    PermanentReason,
    Provider,
    SendResult,
    TransientError,
)
from worker.providers.health import ProviderHealth

log = structlog.get_logger(__name__)

ABOUT_THE_RECIPIENT = (
    PermanentReason.INVALID_NUMBER,
    PermanentReason.UNSUBSCRIBED,
    PermanentReason.FICTIONAL_NUMBER,
)


class FailoverSmsProvider:
    name = "failover"

    def __init__(
        self,
        providers: Sequence[Provider],
        health: ProviderHealth,
        *,
        bulk_may_fail_over: bool,
    ) -> None:
        if len(providers) < 2:
            raise ValueError("failover needs two providers")
        self.providers = list(providers)
        self.health = health
        self.bulk_may_fail_over = bulk_may_fail_over

    def order(self, outgoing: Outgoing) -> list[Provider]:
        """The providers to try, best first."""
        candidates = (
            self.providers if outgoing.urgent or self.bulk_may_fail_over else self.providers[:1]
        )
        return sorted(
            candidates, key=lambda p: (self.health.failing(p.name), self.health.slow(p.name))
        )

    def send(self, outgoing: Outgoing) -> SendResult:
        first, *others = self.order(outgoing)
        try:
            return first.send(outgoing)
        except TransientError as error:
            self.health.mark_failing(first.name)
            if not outgoing.urgent or not others:
                raise
            return self._fail_over(others[0], outgoing, first.name, error)
        except PermanentError as error:
            # An alert refused for a reason of the provider's own (its set-up, a sender) may
            # still reach the person through the other.
            if not outgoing.urgent or not others or error.reason in ABOUT_THE_RECIPIENT:
                raise
            return self._fail_over(others[0], outgoing, first.name, error)

    def _fail_over(
        self,
        other: Provider,
        outgoing: Outgoing,
        failed: str,
        error: TransientError | PermanentError,
    ) -> SendResult:
        log.warning(
            "provider_failover",
            message_id=outgoing.message_id,
            failed=failed,
            code=error.code,
            to_provider=other.name,
        )
        try:
            return other.send(outgoing)
        except TransientError:
            self.health.mark_failing(other.name)
            raise error from None
        except PermanentError as refusal:
            if refusal.reason in ABOUT_THE_RECIPIENT:
                raise
            # The other provider's own set-up refused it (a key, a template): retry the first.
            log.warning(
                "provider_failover_refused", message_id=outgoing.message_id, code=refusal.code
            )
            raise error from None
