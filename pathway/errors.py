"""The error a change to a patient raises when its input is wrong, naming every field at fault."""

from __future__ import annotations


class PatientInputError(ValueError):
    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons
        super().__init__("; ".join(reasons))
