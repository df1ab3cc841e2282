import itertools
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pathway import audit
from pathway.trust_loading import load_trust
from schema.config_file import ConfigError, LoadedConfig, parse_config_text, read_config_file
from schema.models import (
    MessageState,
    OutboundMessage,
    StaffMember,
    Trust,
    TrustConfigVersion,
)
from schema.trusts import trust_config
from schema.types import utcnow
from tests.conftest import EXAMPLE_TRUST
from tests.pathway.test_enrolment import enrol_margaret, scheduled


def test_loading_a_new_configuration_keeps_history_and_replans_patients(
    session: Session, trust: Trust
) -> None:
    patient = enrol_margaret(session, trust)
    text = EXAMPLE_TRUST.read_text().replace(
        "offset: 3d\n        every: 7d", "offset: 3d\n        every: 14d"
    )
    changed = LoadedConfig(parse_config_text(text), text, "different-sha")
    result = load_trust(session, changed, actor=audit.CLI, now=utcnow())
    session.commit()
    assert result.version == 2 and result.replanned == 1
    versions = session.scalars(
        select(TrustConfigVersion.version)
        .where(TrustConfigVersion.trust_id == trust.id)
        .order_by(TrustConfigVersion.version)
    ).all()
    assert versions == [1, 2]
    checkins = [m for m in scheduled(session, patient) if m.template_key == "checkin"]
    gaps = {b.due_at - a.due_at for a, b in itertools.pairwise(checkins)}
    assert all(timedelta(days=13) < gap < timedelta(days=15) for gap in gaps)
    cancelled = session.scalar(
        select(func.count())
        .select_from(OutboundMessage)
        .where(OutboundMessage.state == MessageState.CANCELLED)
    )
    assert cancelled and cancelled > 0


def test_loading_the_same_file_twice_makes_no_new_version(session: Session, trust: Trust) -> None:
    result = load_trust(session, read_config_file(EXAMPLE_TRUST), actor=audit.CLI, now=utcnow())
    assert result.unchanged and result.version == 1


def test_a_configuration_that_drops_a_cohort_in_use_is_refused(
    session: Session, trust: Trust
) -> None:
    enrol_margaret(session, trust)
    config = trust_config(trust)
    kept = config.model_copy(
        update={"cohorts": [c for c in config.cohorts if c.key != "spinal_mets"]}
    )
    with pytest.raises(ConfigError, match="spinal_mets"):
        load_trust(session, LoadedConfig(kept, "", "sha"), actor=audit.CLI, now=utcnow())


def test_staff_dropped_from_the_configuration_are_deactivated(
    session: Session, trust: Trust
) -> None:
    text = EXAMPLE_TRUST.read_text()
    admin_block = text[text.index("  - key: admin") : text.index("escalation:")]
    text = text.replace(admin_block, "\n")
    load_trust(
        session, LoadedConfig(parse_config_text(text), text, "sha2"), actor=audit.CLI, now=utcnow()
    )
    session.commit()
    active = dict(session.execute(select(StaffMember.key, StaffMember.active)).all())
    assert active == {"asha": True, "ben": True, "duty_consultant": True, "admin": False}
