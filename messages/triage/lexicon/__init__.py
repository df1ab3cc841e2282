"""The triage vocabulary: YAML files a clinician can read and extend (see messages/triage/README.md)."""
