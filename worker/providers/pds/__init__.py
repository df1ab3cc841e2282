"""The Personal Demographics Service: is this patient alive, restricted, on this mobile?

tokens = TokenSource(PdsCredentials(api_key, key_id, private_key_pem, token_url))
client = PdsClient(base_url, tokens)
match client.get_patient(nhs_number):
    case Found(patient) | Superseded(_, patient): ...
    case NotFound() | InvalidNumber(): ...
# PdsTransientError / PdsAuthError: the check is still owed; try again later.
"""

from worker.providers.pds.auth import PdsCredentials, TokenSource, client_assertion
from worker.providers.pds.client import PdsClient
from worker.providers.pds.model import (
    DeathNotification,
    Found,
    InvalidNumber,
    NotFound,
    PdsAuthError,
    PdsError,
    PdsPatient,
    PdsRequestError,
    PdsResult,
    PdsTransientError,
    Superseded,
)

__all__ = [
    "DeathNotification",
    "Found",
    "InvalidNumber",
    "NotFound",
    "PdsAuthError",
    "PdsClient",
    "PdsCredentials",
    "PdsError",
    "PdsPatient",
    "PdsRequestError",
    "PdsResult",
    "PdsTransientError",
    "Superseded",
    "TokenSource",
    "client_assertion",
]
