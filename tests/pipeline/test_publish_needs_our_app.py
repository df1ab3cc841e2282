"""A task called before the app is made fails loudly, never publishing to a fallback broker."""

from __future__ import annotations

import pytest
from celery import Celery

from pathway.outbound import Claimed
from schema.models import Queue
from worker.tasks import AppNotMade, enqueue_handling, publish


def test_publishing_through_an_app_that_is_not_ours_is_refused_before_anything_is_sent() -> None:
    fallback = Celery("default", set_as_current=False)
    with pytest.raises(AppNotMade):
        publish(fallback, [Claimed(1, Queue.MESSAGES)])
    with pytest.raises(AppNotMade):
        enqueue_handling(fallback, 1)
