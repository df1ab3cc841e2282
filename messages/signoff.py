"""Which translated patient templates await the trust's clinical and translation sign-off.

A template in a language other than English is signed off as the words it had: the trust's
configuration (`translation_sign_off`) records a digest of the template's files in that
language and of the shared layout files they include. Any change to the wording changes the
digest, and the template awaits sign-off again. Until then it is still sent (a patient is better
served by Welsh awaiting review than by English they did not choose), and the hazard log (H21)
and the trust page say so.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from messages.catalogue import CATALOGUE, TEMPLATE_DIR
from messages.languages import ENGLISH
from schema.trust_config import TrustConfig

LAYOUTS = "_layout"


@dataclass(frozen=True)
class SignOff:
    key: str
    language: str
    digest: str  # of the wording as it is now
    signed_off: bool
    note: str  # who and when, or why it awaits sign-off


def _files(key: str, language: str, directory: Path) -> list[Path]:
    return sorted((directory / key).glob(f"*.{language}.*.j2"))


def wording_digest(key: str, language: str, directory: Path = TEMPLATE_DIR) -> str:
    """12 hex digits over the template's files in the language and the language's layouts."""
    digest = hashlib.sha256()
    for path in _files(key, language, directory) + _files(LAYOUTS, language, directory):
        digest.update(f"{path.parent.name}/{path.name}\0".encode())
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:12]


def sign_off_status(config: TrustConfig, directory: Path = TEMPLATE_DIR) -> list[SignOff]:
    """Every translated patient template in the trust's languages, signed off or awaiting."""
    found = []
    for language in (code for code in config.languages if code != ENGLISH):
        record = config.translation_sign_off.get(language)
        for spec in CATALOGUE.values():
            if spec.audience != "patient" or not _files(spec.key, language, directory):
                continue
            digest = wording_digest(spec.key, language, directory)
            signed = record.templates.get(spec.key) if record is not None else None
            if record is not None and signed == digest:
                note = f"signed off {record.date}: {record.clinical}; {record.translation}"
                found.append(SignOff(spec.key, language, digest, True, note))
                continue
            note = "awaiting the trust's clinical and translation sign-off"
            if signed is not None:
                note += f" (the wording changed since {signed} was signed off)"
            found.append(SignOff(spec.key, language, digest, False, note))
    return found


def awaiting_sign_off(config: TrustConfig, directory: Path = TEMPLATE_DIR) -> list[SignOff]:
    return [status for status in sign_off_status(config, directory) if not status.signed_off]
