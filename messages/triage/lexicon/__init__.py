"""The triage vocabulary: YAML a clinician can read and extend (see messages/triage/README.md)."""
