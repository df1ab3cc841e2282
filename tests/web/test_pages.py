"""The coordinator pages over HTTP: what the queue, a patient and the trust page show, and what
their buttons do."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import func, select

from pathway import alerts
from schema.db import session_scope
from schema.models import (
    Alert,
    AuditEvent,
    InboundMessage,
    MessageState,
    OutboundMessage,
    Patient,
    Trust,
)
from schema.trusts import trust_config
from schema.types import utcnow
from schema.vocabulary import Label
from tests.web.conftest import Staff, World, enrol_patient, red_alert, reply, signed_in


def section(html: str, section_id: str) -> str:
    start = html.index(f'<section id="{section_id}"')
    return html[start : html.index("</section>", start)]


def alert_order(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<article class="alert[^"]*" id="alert-(\d+)"', html)]


def add_patient(trust_id: int, nhs_number: str, phone: str, name: str = "Cara Test") -> int:
    with session_scope() as session:
        trust = session.get(Trust, trust_id)
        assert trust is not None
        given, family = name.split()
        return enrol_patient(
            session, trust, nhs_number, phone, given_name=given, family_name=family
        ).id


def raise_for(trust_id: int, patient_id: int, level: Label, minutes_ago: int) -> int:
    with session_scope() as session:
        trust = session.get(Trust, trust_id)
        patient = session.get(Patient, patient_id)
        assert trust is not None and patient is not None
        if level == Label.RED:
            alert_id = red_alert(session, trust, patient, "legs have gone weak")
        else:
            inbound = reply(session, trust, patient, "my back aches at night", "amber")
            alert_id = alerts.raise_alert(
                session,
                patient=patient,
                inbound=inbound,
                level=level,
                config=trust_config(trust),
                now=utcnow(),
            ).id
        alert = session.get(Alert, alert_id)
        assert alert is not None
        alert.raised_at = utcnow() - timedelta(minutes=minutes_ago)
        return alert_id


def test_open_alerts_come_red_first_then_oldest_first_with_nobody_reachable_above_all(
    world: World, app: FastAPI
) -> None:
    p2 = add_patient(world.a.trust_id, "9434765846", "+447700900311")
    p3 = add_patient(world.a.trust_id, "9434765838", "+447700900312")
    p4 = add_patient(world.a.trust_id, "9434765811", "+447700900313")
    old_red = raise_for(world.a.trust_id, p2, Label.RED, minutes_ago=30)
    old_amber = raise_for(world.a.trust_id, p3, Label.AMBER, minutes_ago=90)
    stranded = raise_for(world.a.trust_id, p4, Label.AMBER, minutes_ago=5)
    with session_scope() as session:
        alert = session.get(Alert, stranded)
        assert alert is not None
        alert.nobody_reachable_at = utcnow()
    html = signed_in(app, world.a.coordinator).get("/").text
    assert alert_order(section(html, "open-alerts")) == [
        stranded,
        old_red,
        world.a.alert_id,
        old_amber,
    ]
    stranded_card = html[html.index(f'id="alert-{stranded}"') :]
    assert "Nobody on the escalation chain could be reached" in stranded_card[:3000]
    assert "alert--unreachable" in html


def test_an_alert_shows_the_reply_its_evidence_its_step_and_each_notifications_delivery(
    world: World, app: FastAPI
) -> None:
    with session_scope() as session:
        sms = session.scalars(
            select(OutboundMessage).where(
                OutboundMessage.alert_id == world.a.alert_id, OutboundMessage.channel == "sms"
            )
        ).one()
        sms.state = MessageState.DELIVERED
    card = section(signed_in(app, world.a.coordinator).get("/").text, "open-alerts")
    assert world.a.said in card
    assert "limb_weakness" not in card
    assert "Red: a symptom of MSCC: limb weakness (“legs keep giving way”)." in card
    assert "Escalation step 1 of 3:</strong> Asha Okafor" in card
    rows = re.findall(
        r'<tr>\s*<td data-label="Who">Asha Okafor</td><td data-label="How">(\w+)</td>.*?tag--(\w+)',
        card,
        re.S,
    )
    assert sorted(rows) == [("SMS", "delivered"), ("email", "scheduled")]
    assert "07700 900301" in card and "943 476 5919" in card


def test_acknowledging_takes_the_alert_off_the_open_list_and_stops_escalation(
    world: World, app: FastAPI
) -> None:
    staff = signed_in(app, world.a.coordinator)
    response = staff.post(f"/alerts/{world.a.alert_id}/acknowledge")
    assert response.status_code == 303
    page = staff.get(response.headers["location"]).text
    assert "You acknowledged alert" in page
    assert alert_order(section(page, "open-alerts")) == []
    assert alert_order(section(page, "acknowledged")) == [world.a.alert_id]
    assert "Acknowledged by Asha Okafor" in section(page, "acknowledged")
    with session_scope() as session:
        alert = session.get(Alert, world.a.alert_id)
        assert alert is not None
        assert alert.state == "acknowledged" and alert.next_escalation_at is None
        via = session.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "alert.acknowledged")
        ).one()
    assert via["via"] == "web"
    again = staff.post(f"/alerts/{world.a.alert_id}/acknowledge")
    assert "already acknowledged" in staff.get(again.headers["location"]).text


def test_resolving_without_an_outcome_is_refused_with_the_reason_beside_the_list(
    world: World, app: FastAPI
) -> None:
    staff = signed_in(app, world.a.coordinator)
    response = staff.post(f"/alerts/{world.a.alert_id}/resolve", {"outcome_note": "Phoned her."})
    assert response.status_code == 422
    assert "Choose what happened from the list." in response.text
    assert re.search(r'<select id="outcome-\d+" name="outcome" aria-describedby=', response.text)
    assert 'aria-invalid="true"' in response.text
    with session_scope() as session:
        alert = session.get(Alert, world.a.alert_id)
        assert alert is not None and alert.state == "open" and alert.outcome is None


def test_resolving_with_an_outcome_records_it_and_who_resolved_it_and_acknowledges_first(
    world: World, app: FastAPI
) -> None:
    staff = signed_in(app, world.a.coordinator)
    note = "Phoned patient; admitted via ED for MRI."
    response = staff.post(
        f"/alerts/{world.a.alert_id}/resolve",
        {"outcome": "admitted", "outcome_note": note, "mri_at": ""},
    )
    assert response.status_code == 303
    page = staff.get(response.headers["location"]).text
    assert "is resolved" in page and world.a.said not in section(page, "open-alerts")
    with session_scope() as session:
        alert = session.get(Alert, world.a.alert_id)
        assert alert is not None
        assert alert.state == "resolved" and alert.outcome_note == note
        assert (alert.outcome, alert.outcome_name, alert.mri_at) == ("admitted", "Admitted", None)
        assert alert.acknowledged_by_id == alert.resolved_by_id is not None
        assert alert.acknowledged_at == alert.resolved_at
    timeline = staff.get(f"/patients/{world.a.patient_id}").text
    assert "Resolved by Asha Okafor" in timeline and note in timeline


def test_an_unclear_reply_waits_for_review_until_someone_marks_it_reviewed(
    world: World, app: FastAPI
) -> None:
    staff = signed_in(app, world.a.coordinator)
    reviews = section(staff.get("/").text, "reviews")
    assert "about my tablets?" in reviews
    response = staff.post(f"/replies/{world.a.review_id}/review", {"review_note": "Rang her."})
    assert response.status_code == 303
    assert "about my tablets?" not in section(staff.get("/").text, "reviews")
    with session_scope() as session:
        inbound = session.get(InboundMessage, world.a.review_id)
        assert inbound is not None
        assert inbound.review_state == "closed" and inbound.review_note == "Rang her."
        assert inbound.reviewed_by_id is not None and inbound.reviewed_at is not None
    assert "reviewed by Asha Okafor" in staff.get(f"/patients/{world.a.patient_id}").text


def test_a_review_can_be_closed_without_a_note(world: World, app: FastAPI) -> None:
    staff = signed_in(app, world.a.coordinator)
    assert staff.post(f"/replies/{world.a.review_id}/review").status_code == 303
    with session_scope() as session:
        inbound = session.get(InboundMessage, world.a.review_id)
        assert inbound is not None and inbound.review_state == "closed"
        assert inbound.review_note is None


def test_unreachable_patients_are_listed_on_the_queue(world: World, app: FastAPI) -> None:
    staff = signed_in(app, world.a.coordinator)
    assert "Every patient is reachable." in staff.get("/").text
    with session_scope() as session:
        patient = session.get(Patient, world.a.patient_id)
        assert patient is not None
        patient.unreachable_since = utcnow()
    listed = section(staff.get("/").text, "unreachable")
    assert world.a.patient_name in listed and "07700 900301" in listed


def test_patients_are_found_by_name_or_nhs_number(world: World, app: FastAPI) -> None:
    add_patient(world.a.trust_id, "9434765846", "+447700900311", "Dylan Rhys")
    staff = signed_in(app, world.a.coordinator)

    def found(query: str) -> list[str]:
        html = section_table(staff.get(f"/patients?q={query}").text)
        return re.findall(r'<a href="/patients/\d+">([^<]+)</a>', html)

    assert found("") == ["Ann Example", "Dylan Rhys"]
    assert found("dylan") == ["Dylan Rhys"]
    assert found("ann exa") == ["Ann Example"]
    assert found("943 476 59") == ["Ann Example"]
    assert found("9434765846") == ["Dylan Rhys"]
    assert found("%") == []
    assert found("nobody") == []


def section_table(html: str) -> str:
    start = html.index('id="patients">')
    return html[start : html.index("</table>", start)]


def test_enrolling_from_the_form_plans_the_patients_messages(world: World, app: FastAPI) -> None:
    staff = signed_in(app, world.a.coordinator)
    form = {
        "nhs_number": "943 476 5846",
        "given_name": "Dylan",
        "family_name": "Rhys",
        "phone": "07700 900311",
        "email": "",
        "cohort": "bone_mets",
        "language": "cy",
    }
    response = staff.post("/patients", form)
    assert response.status_code == 303
    page = staff.get(response.headers["location"]).text
    assert "Dylan Rhys" in page and "enrolled" in page
    with session_scope() as session:
        patient = session.scalars(select(Patient).where(Patient.nhs_number == "9434765846")).one()
        assert patient.trust_id == world.a.trust_id and patient.language == "cy"
        planned = session.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(OutboundMessage.patient_id == patient.id)
        )
        actor = session.scalars(
            select(AuditEvent.actor).where(
                AuditEvent.action == "patient.enrolled", AuditEvent.subject_id == patient.id
            )
        ).one()
    assert planned and planned > 1
    assert actor.startswith("staff:")


def test_a_bad_enrolment_shows_every_reason_keeps_the_form_and_stores_nothing(
    world: World, app: FastAPI
) -> None:
    staff = signed_in(app, world.a.coordinator)
    form = {
        "nhs_number": "1234567890",
        "given_name": "Dylan",
        "family_name": "",
        "phone": "01134960000",
        "cohort": "no_such_cohort",
        "language": "en",
    }
    response = staff.post("/patients", form)
    assert response.status_code == 422
    summary = response.text[response.text.index("error-summary") :]
    for field in ("nhs_number:", "family_name:", "phone:", "cohort:"):
        assert field in summary
    assert 'value="Dylan"' in response.text
    with session_scope() as session:
        assert session.scalar(select(func.count()).select_from(Patient)) == 2


def test_pause_resume_and_discharge_from_the_patient_page(world: World, app: FastAPI) -> None:
    staff = signed_in(app, world.a.coordinator)
    base = f"/patients/{world.a.patient_id}"

    def status() -> str:
        with session_scope() as session:
            patient = session.get(Patient, world.a.patient_id)
            assert patient is not None
            return patient.status

    assert "Pause messages" in staff.get(base).text
    assert staff.post(f"{base}/pause").status_code == 303
    assert status() == "paused"
    assert "Resume messages" in staff.get(base).text
    assert staff.post(f"{base}/resume").status_code == 303
    assert status() == "active"
    refused = staff.post(f"{base}/discharge")
    assert refused.status_code == 422 and "Tick the box" in refused.text
    assert status() == "active"
    assert staff.post(f"{base}/discharge", {"confirm": "yes"}).status_code == 303
    assert status() == "discharged"
    assert staff.post(f"{base}/resume").status_code == 409
    assert status() == "discharged"


def test_the_timeline_merges_messages_replies_and_alerts_newest_first(
    world: World, app: FastAPI
) -> None:
    with session_scope() as session:
        welcome = session.scalars(
            select(OutboundMessage).where(
                OutboundMessage.patient_id == world.a.patient_id,
                OutboundMessage.template_key == "welcome",
                OutboundMessage.channel == "sms",
            )
        ).one()
        welcome.state = MessageState.DELIVERED
        welcome.body = "Welcome to the MSCC safety net, Ann."
        welcome.segments = 2
        welcome.sent_at = utcnow() - timedelta(hours=2)
        welcome.delivered_at = utcnow() - timedelta(hours=2)
    html = signed_in(app, world.a.coordinator).get(f"/patients/{world.a.patient_id}").text
    timeline = html[
        html.index('<ol class="timeline">') : html.index("</ol>", html.index("timeline"))
    ]
    titles = re.findall(r'<p class="timeline__title"><strong>([^<]+)</strong>', timeline)
    assert titles[0] == "Reply from patient"  # the unclear reply, the newest
    assert "Alert raised" in titles
    assert "Coordinator alert to Asha Okafor" in titles
    assert titles[-1] == "Welcome"
    assert "Welcome to the MSCC safety net, Ann." in timeline and "2 SMS segments" in timeline
    assert "tag--delivered" in timeline
    assert world.a.said in timeline and "legs keep giving way" in timeline
    assert "Planned messages (" in html


def test_the_patient_page_shows_details_cohort_status_and_opt_out(
    world: World, app: FastAPI
) -> None:
    with session_scope() as session:
        patient = session.get(Patient, world.a.patient_id)
        assert patient is not None
        patient.opted_out_at = utcnow()
    html = signed_in(app, world.a.coordinator).get(f"/patients/{world.a.patient_id}").text
    details = html[html.index('<dl class="details">') : html.index("</dl>")]
    for shown in ("943 476 5919", "07700 900301", "Known spinal metastases", "active", "opted out"):
        assert shown in details


def test_the_trust_page_shows_the_yaml_its_history_the_schedules_with_segments_and_the_chain(
    world: World, app: FastAPI
) -> None:
    html = signed_in(app, world.a.admin).get("/trust").text
    assert "from_number: &#34;07700 900000&#34;" in html or 'from_number: "07700 900000"' in html
    assert "1 (in force)" in html
    assert re.search(r"<code>checkin</code>.*?every 1 week until 52 weeks.*?en: \d", html, re.S)
    assert "Asha Okafor; next step after 5 minutes" in html
    assert (
        "whoever is on On-call clinical oncologist (phoned too); next step after 10 minutes" in html
    )
    assert "every 10 minutes until someone acknowledges" in html
    assert re.search(r"<code>urgent_advice</code></td><td>patient</td><td>en</td>", html)


def test_what_a_patient_writes_is_shown_as_text_never_as_markup(world: World, app: FastAPI) -> None:
    with session_scope() as session:
        trust = session.get(Trust, world.a.trust_id)
        patient = session.get(Patient, world.a.patient_id)
        assert trust is not None and patient is not None
        reply(session, trust, patient, '<script>alert("x")</script> help', "unclear")
    staff = signed_in(app, world.a.coordinator)
    for path in ("/", f"/patients/{world.a.patient_id}"):
        html = staff.get(path).text
        assert '<script>alert("x")' not in html
        assert "&lt;script&gt;" in html


def test_the_queue_refreshes_itself_only_with_a_small_script_and_works_without_it(
    world: World, app: FastAPI
) -> None:
    html = signed_in(app, world.a.coordinator).get("/").text
    assert 'data-refresh-seconds="30"' in html
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/refresh.js" defer>']
    assert '<form method="post" action="/alerts/' in html  # every action is a plain form


def test_every_field_has_a_label_and_no_id_is_used_twice(world: World, app: FastAPI) -> None:
    staff = signed_in(app, world.a.admin)
    staff.post(f"/alerts/{world.a.alert_id}/acknowledge")
    pages = [staff.get(p).text for p in ("/", "/patients", f"/patients/{world.a.patient_id}")]
    pages += [staff.get("/trust").text, Staff(app).get("/sign-in").text]
    for path, html in zip(("/", "/patients", "patient", "/trust", "/sign-in"), pages, strict=True):
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), f"{path}: repeated ids"
        for tag, attributes in re.findall(r"<(input|select|textarea)\b([^>]*)>", html):
            if 'type="hidden"' in attributes:
                continue
            field = re.search(r'id="([^"]+)"', attributes)
            assert field, f"{path}: a {tag} without an id"
            assert f'for="{field.group(1)}"' in html, f"{path}: {field.group(1)} has no label"
