"""Support shared by the tests and the benchmarks: a fake Twilio REST API served on 127.0.0.1,
Twilio's webhook signing, and an always-open test trust. Nothing here is used by the service."""
