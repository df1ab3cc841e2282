"""Loading a trust's configuration into the database: a new version, its staff, its numbers, and
its patients' messages planned afresh."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pathway import audit
from pathway.planning import replan
from schema.config_file import ConfigError, LoadedConfig, Problem
from schema.models import (
    Patient,
    PatientStatus,
    StaffMember,
    Trust,
    TrustConfigVersion,
    TrustNumber,
)
from schema.trust_config import TrustConfig


@dataclass(frozen=True)
class LoadResult:
    trust: Trust
    version: int
    created: bool
    unchanged: bool
    replanned: int


def load_trust(session: Session, loaded: LoadedConfig, *, actor: str, now: datetime) -> LoadResult:
    """Store a validated configuration as the trust's newest version and re-plan its patients.

    Refuses (ConfigError, nothing written) a change that would strand data: a reply number
    owned by another trust, or a cohort removed while patients are enrolled in it.
    """
    config = loaded.config
    trust = session.scalar(select(Trust).where(Trust.code == config.code).with_for_update())
    created = trust is None
    if trust is not None:
        unchanged = _unchanged_version(session, trust, loaded)
        if unchanged is not None:
            return LoadResult(trust, unchanged, False, True, 0)
    _check_numbers_free(session, config, trust)
    if trust is None:
        trust = Trust(
            code=config.code, name=config.name, timezone=config.timezone, config_version=0
        )
        session.add(trust)
        session.flush()
    else:
        _check_cohorts_kept(session, config, trust)
    version = _store_version(session, trust, loaded, actor=actor, now=now)
    _sync_staff(session, trust, config, actor, now)
    _sync_numbers(session, trust, config)
    audit.record(
        session,
        "trust.config_loaded",
        "trust",
        trust.id,
        actor=actor,
        trust_id=trust.id,
        now=now,
        version=version,
        sha256=loaded.sha256,
    )
    replanned = 0 if created else _replan_patients(session, trust, config, actor=actor, now=now)
    session.flush()
    return LoadResult(trust, version, created, False, replanned)


def _unchanged_version(session: Session, trust: Trust, loaded: LoadedConfig) -> int | None:
    """The version already holding exactly this file, if the newest one does."""
    latest = session.scalar(
        select(TrustConfigVersion)
        .where(TrustConfigVersion.trust_id == trust.id)
        .order_by(TrustConfigVersion.version.desc())
        .limit(1)
    )
    if latest is not None and latest.source_sha256 == loaded.sha256:
        return latest.version
    return None


def _store_version(
    session: Session, trust: Trust, loaded: LoadedConfig, *, actor: str, now: datetime
) -> int:
    """The configuration as the trust's newest version, kept in history; returns its number."""
    config = loaded.config
    version = trust.config_version + 1
    stored = config.model_dump(mode="json")
    session.add(
        TrustConfigVersion(
            trust_id=trust.id,
            version=version,
            config=stored,
            source_text=loaded.source_text,
            source_sha256=loaded.sha256,
            loaded_at=now,
            loaded_by=actor,
        )
    )
    trust.name = config.name
    trust.timezone = config.timezone
    trust.config = stored
    trust.config_version = version
    return version


def _replan_patients(
    session: Session, trust: Trust, config: TrustConfig, *, actor: str, now: datetime
) -> int:
    """Every patient still receiving messages, planned afresh under the new configuration."""
    patients = session.scalars(
        select(Patient).where(
            Patient.trust_id == trust.id,
            Patient.status == PatientStatus.ACTIVE,
            Patient.opted_out_at.is_(None),
        )
    ).all()
    for patient in patients:
        replan(session, patient, config, now=now, actor=actor, reason="config_loaded")
    return len(patients)


def _check_numbers_free(session: Session, config: TrustConfig, trust: Trust | None) -> None:
    owners = session.execute(
        select(TrustNumber.number_e164, Trust.code)
        .join(Trust, Trust.id == TrustNumber.trust_id)
        .where(TrustNumber.number_e164.in_(config.sms.inbound_numbers))
    ).all()
    taken = [number for number, code in owners if trust is None or code != trust.code]
    if taken:
        raise ConfigError(
            config.code,
            [
                Problem("sms", f"number ending {n[-3:]} already belongs to another trust", None)
                for n in taken
            ],
        )


def _check_cohorts_kept(session: Session, config: TrustConfig, trust: Trust) -> None:
    keys = {cohort.key for cohort in config.cohorts}
    in_use = session.execute(
        select(Patient.cohort, func.count())
        .where(Patient.trust_id == trust.id, Patient.status != PatientStatus.DISCHARGED)
        .group_by(Patient.cohort)
    ).all()
    stranded = [(cohort, count) for cohort, count in in_use if cohort not in keys]
    if stranded:
        raise ConfigError(
            config.code,
            [
                Problem(
                    "cohorts", f"cohort {c!r} is removed but {n} patients are enrolled in it", None
                )
                for c, n in stranded
            ],
        )


def _sync_staff(
    session: Session, trust: Trust, config: TrustConfig, actor: str, now: datetime
) -> None:
    existing = {
        s.key: s
        for s in session.scalars(select(StaffMember).where(StaffMember.trust_id == trust.id))
    }
    for entry in config.staff:
        member = existing.pop(entry.key, None)
        if member is None:
            member = StaffMember(trust_id=trust.id, key=entry.key, failed_sign_ins=0)
            session.add(member)
        member.name = entry.name
        member.role = entry.role
        member.phone_e164 = entry.phone
        member.email = entry.email
        member.active = True
        member.from_config = True
    for member in existing.values():
        if member.from_config and member.active:
            member.active = False
            session.flush()
            audit.record(
                session,
                "staff.deactivated",
                "staff_member",
                member.id,
                actor=actor,
                trust_id=trust.id,
                now=now,
                reason="not in configuration",
            )


def _sync_numbers(session: Session, trust: Trust, config: TrustConfig) -> None:
    wanted = set(config.sms.inbound_numbers)
    for number in session.scalars(select(TrustNumber).where(TrustNumber.trust_id == trust.id)):
        if number.number_e164 in wanted:
            wanted.discard(number.number_e164)
        else:
            session.delete(number)
    session.flush()
    for number_e164 in sorted(wanted):
        session.add(TrustNumber(trust_id=trust.id, number_e164=number_e164))
