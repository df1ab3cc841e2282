"""Real-shaped HL7v2.4 ADT messages, as an English trust's PAS sends them (NHS ITK v2.4 style),
with every part overridable so a test changes only what it is about."""

from __future__ import annotations

from collections.abc import Sequence

DEFAULT_NHS_NUMBER = "9434765919"
DEFAULT_MOBILE = "07700900123"


def adt(
    trigger: str = "A01",
    *,
    control_id: str = "MSG00001",
    sending_facility: str = "RXX",
    version: str = "2.4",
    message_type: str = "ADT",
    pid3: str | None = None,
    nhs_number: str = DEFAULT_NHS_NUMBER,
    name: str = "EXAMPLE^ANN^^^MRS^^L",
    date_of_birth: str = "19500101",
    telecom: str = f"{DEFAULT_MOBILE}^PRN^CP~^NET^Internet^ann@example.com",
    pid_tail: str = "",
    pd1: str | None = "PD1|||RIVERSIDE SURGERY^^Y06601|G5612908^Townley^Gregory^^^Dr^^^GMC",
    pv1: str | None = (
        "PV1|1|O|ONC-MSCC^RXX-ONC^^RXX01||||C3456789^Darwin^Samuel^^^Dr^^^GMC|||800"
        "||||||||OUTPATIENT|V0001^^^VISITID|||||||||||||||||||||||||202612011000"
    ),
    mrg: str | None = None,
    extra: Sequence[str] = (),
    separator: str = "\r",
) -> str:
    """One ADT message. `pid3` replaces the whole identifier list when given."""
    identifiers = pid3 if pid3 is not None else f"{nhs_number}^^^NHS^NH~RX123456^^^RXX^MR"
    segments = [
        f"MSH|^~\\&|PAS|{sending_facility}|SAFETYNET|{sending_facility}|20261201101500||"
        f"{message_type}^{trigger}^ADT_A01|{control_id}|P|{version}||||||UNICODE|EN",
        f"EVN|{trigger}|20261201101500|||C3456789^Darwin^Samuel|20261201101000",
        f"PID|1||{identifiers}||{name}||{date_of_birth}|2|||1 RIVER ROAD^^LEEDS^^LS1 1AA^GBR^H"
        f"||{telecom}{pid_tail}",
    ]
    if pd1 is not None:
        segments.append(pd1)
    if mrg is not None:
        segments.append(mrg)
    if pv1 is not None:
        segments.append(pv1)
    segments.extend(extra)
    return separator.join(segments) + separator
