"""Reply triage: label a patient's free-text SMS red, amber, none, unclear, stop, start or help.

from messages.triage import triage, TriageResult
result = triage("cant feel ma legs")   # result.label == "red"
"""

from messages.triage.engine import preload, triage
from messages.triage.result import TriageResult

__all__ = ["TriageResult", "preload", "triage"]
