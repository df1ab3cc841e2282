"""The safety net's decisions: enrolment, planning, replies, alerts, escalation, acknowledgement,
review, receipts, opt-outs, staff accounts and the audit trail.

Every function here is plain `(session, ..., now)`: it reads and writes the database in the
caller's transaction and returns what must be published, so the caller publishes after commit.
Nothing here imports Celery, kombu, the settings, `worker` or `web` (tests/test_rooms.py).
"""
