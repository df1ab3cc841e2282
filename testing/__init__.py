"""Support shared by the tests and the benchmarks: a fake Twilio REST API served on 127.0.0.1,
Twilio's webhook signing, an always-open test trust, and a PostgreSQL cluster of a run's own to
stop, crash or freeze. Nothing here is used by the service."""
