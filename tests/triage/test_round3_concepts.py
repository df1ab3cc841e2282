"""Round 3 of issue 11: the red and amber symptom concepts of LABELS.md, and all-well, told the
way people write them (plain, regional, carer, text-speak, voice-to-text, euphemism, and the
other lexicon languages), in wordings written for this test, never taken from a corpus row.

``GAPS`` failed before round 3's lexicon lines (each says how); ``CONCEPTS`` already passed and
stay here so a later change cannot lose them."""

from __future__ import annotations

import pytest

from messages.triage import triage
from schema.vocabulary import Label

RED, AMBER, NONE = Label.RED, Label.AMBER, Label.NONE

# (wording, label it must get): each came out wrong before round 3
GAPS: list[tuple[str, Label]] = [
    # was `none`: the denial "don't feel" read as denying the bladder
    ("don't feel when my bladder's full", RED),
    # was urgent review: getting up from a seat, furniture walking, a fawn on ice
    ("can't get off the settee without help now", RED),
    ("he's using the furniture to get about", RED),
    ("I'm like bambi on ice", RED),
    # was urgent review: an elliptical contrast against a part that is well
    ("back is fine. legs are not", RED),
    # was urgent review: Modern Standard Arabic "I do not feel my legs"
    ("لا أشعر بساقي", RED),
    # was urgent review: lay words told after the back, and lying flat
    ("my spine feels bruised", AMBER),
    ("me back's knackered", AMBER),
    ("hurts to lie flat", AMBER),
    ("pain in my ribs at the back", AMBER),
    # was `none`: "stops hurting" read as a resolution through "never"
    ("my back never stops hurting", AMBER),
    # was routine review (a red reply no one reads urgently): "making it", not "make it"
    ("not making it to the toilet", RED),
    # was urgent review: text-speak "cudnt", "2", and euphemisms for an accident
    ("cudnt make it 2 the loo", RED),
    ("had a few mishaps getting to the bathroom", RED),
    ("been caught short a few times this week", RED),
    # was urgent review: lifted off the floor, a fall
    ("we had to call the ambulance to get him off the floor", RED),
    # was `none`: romanised Urdu "my urine is not coming", the postposed "nahi" read as a denial
    ("mera peshab nahi ho raha", RED),
    # was urgent review: Polish "I wet myself" (posikać), and the genitive "słabości" unknown
    ("Posikałem się", RED),
    ("Nie mam drętwienia ani słabości", NONE),
    # was routine review: walking into things
    ("bumping into walls", RED),
    # was urgent review: unsteadiness and retention in lay words, a neck that will not turn
    ("staggering about like I'm drunk", RED),
    ("my balance is shot", RED),
    ("I've been going to the loo and nothing happens", RED),
    ("can't turn my head for the pain", AMBER),
    # was urgent review: a denial along a list of two
    ("no problems with waterworks or bowels", NONE),
    ("no issues with my legs, back or bladder", NONE),
]

CONCEPTS: dict[str, list[tuple[str, Label]]] = {
    "limb weakness": [
        ("me legs have gone like jelly today", RED),
        ("my knees keep buckling on me", RED),
        ("legs r proper wobbly 2day", RED),
        ("my legs feel week and heavy", RED),
        ("legs went to mush walking to the shop", RED),
        ("he's walking like a baby deer", RED),
        ("his legs just folded", RED),
        ("my pins are wobbly today", RED),
        ("mam's been off her feet since tuesday, legs won't hold her", RED),
    ],
    "weakness told by its effect": [
        ("had to crawl up the stairs last night", RED),
        ("bum shuffling up the stairs now", RED),
        ("needing the zimmer frame just to get to the loo now", RED),
        ("my grip's gone, can't open jars anymore", RED),
        ("smashed two mugs today, they just slipped out of my fingers", RED),
        ("can't sign my name properly any more", RED),
        ("my foot keeps catching on the carpet, it's dragging", RED),
        ("keep tripping over my own feet", RED),
    ],
    "numbness, pins and needles": [
        ("gone dead from the waist down", RED),
        ("my feet feel like they're wrapped in cotton wool", RED),
        ("tinkling in my toes since last night", RED),
        ("feels like walking on gravel", RED),
        ("can't tell if the water's hot with my feet", RED),
        ("legs feel like they're full of ants", RED),
        ("feet feel like I'm wearing thick socks all the time", RED),
    ],
    "told by how it feels": [
        ("legs feel like they're made of wet sand", RED),
        ("like my legs are switched off", RED),
        ("I have to look at my feet to walk", RED),
        ("numb stripe round my tummy", RED),
        ("feet burning and tingling", RED),
        ("I only know I need a wee when it's too late", RED),
        ("I feel full but can't go", RED),
        ("my pants are wet and I didn't notice", RED),
        ("I sleep in the chair now because of my back", AMBER),
        ("my neck feels like it's in a vice", AMBER),
        ("when I press my spine it hurts", AMBER),
    ],
    "saddle numbness": [
        ("can't feel the seat when I sit down", RED),
        ("can't feel the loo roll when I wipe", RED),
        ("my bits feel numb", RED),
        ("no sensation in my back passage", RED),
    ],
    "bladder and bowel": [
        ("couldn't get to the loo in time", RED),
        ("my waterworks have gone funny, can't go", RED),
        ("can't control my ladder", RED),
        ("having to wear pads now, can't hold it", RED),
        ("can't seem to empty my bladder", RED),
        ("pooped myself in bed and didn't wake up", RED),
        ("can't tell when I need a poo anymore", RED),
    ],
    "radicular and band-like pain": [
        ("pain like a hot wire down my leg", RED),
        ("pain wraps round from my back to my belly", RED),
        ("feels like a belt squeezing round my middle", RED),
        ("electric zaps down my arm", RED),
    ],
    "new, worse or night back and neck pain": [
        ("back's giving me gyp", AMBER),
        ("backs killin me", AMBER),
        ("bk pain bad 2day", AMBER),
        ("can't get comfy in bed for my back", AMBER),
        ("coughing sends a pain through my back", AMBER),
        ("crick in my neck that won't shift", AMBER),
        ("a nagging pain at the base of my spine", AMBER),
        ("back pain's come back", AMBER),
    ],
    "negation by kind": [
        ("never felt my feet so numb", RED),
        ("no pain as such, but my legs feel heavy", RED),
        ("nothing new besides numb feet", RED),
        ("it isn't pain, it's more a numbness", RED),
        ("I'm not saying I'm not wobbly", RED),
        ("the tingling hasn't gone", RED),
        ("pins and needles nearly gone", RED),
        ("the weakness went away but returned this morning", RED),
        ("not numb or weak, just a sore back", AMBER),
        ("never known back pain like it", AMBER),
    ],
    "hedges": [
        ("might be nothing but my feet feel numb", RED),
        ("prob nothing but my toes are tingly", RED),
        ("don't want to make a fuss but I wet myself", RED),
        ("a touch of numbness in my toes", RED),
    ],
    "carers": [
        ("nan's legs have gone", RED),
        ("care home staff here, resident unable to weight bear since this morning", RED),
        ("son here, dad is very unsteady on his feet", RED),
    ],
    "dialect, text-speak and voice-to-text": [
        ("cannae feel ma feet", RED),
        ("me legs is after going on me", RED),
        ("legs are banjaxed, can't walk", RED),
        ("cnt feel my legs", RED),
        ("pins n needlz in my feet", RED),
        ("I can't feel my feat", RED),
        ("pins and needles in my hens", RED),
        ("I can't control my blather", RED),
        ("my bowls have been leaking", RED),
        ("legs giving weigh", RED),
        ("dad's gone off his legs", RED),
        ("resident has reduced sensation in lower limbs", RED),
        ("ma back's pure killing me", AMBER),
        ("sore bak at nite", AMBER),
        ("nek pain", AMBER),
        ("my tailbone hurts when I sit", AMBER),
    ],
    "other lexicon languages": [
        ("Mae fy nghoesau'n teimlo'n ddiffrwyth", RED),
        ("Methu pasio dŵr", RED),
        ("Nogi jak z waty", RED),
        ("Nie mogę oddać moczu", RED),
        ("Am amorțeală în picioare", RED),
        ("Não sinto as pernas", RED),
        ("Mae fy nghefn yn brifo", AMBER),
        ("Ból między łopatkami", AMBER),
        ("Belim ağrıyor", AMBER),  # noqa: RUF001 (Turkish dotless i)
        ("Mae'r coesau'n wan", RED),
        ("Dw i'n methu rheoli fy mhledren", RED),
        ("Nie czuję, kiedy muszę iść do toalety", RED),
        ("Nie mam bólu, ale nogi mam słabe", RED),
        ("Nu mai pot să urinez", RED),
        ("pairon vich sunn hai", RED),
        ("Boli mnie między łopatkami", AMBER),
        ("Dim poen, dim gwendid", NONE),
        ("Nie mam bólu ani mrowienia", NONE),
        ("Nie mam bólu ani drętwienia", NONE),
        ("Viskas gerai, ačiū", NONE),
    ],
    "all-well": [
        ("champion, ta", NONE),
        ("all tickety boo", NONE),
        ("fine ta, nowt to report", NONE),
        ("legs fine, back fine, waterworks fine", NONE),
        ("no pins and needles, no problems with waterworks", NONE),
        ("none of those symptoms thanks", NONE),
        ("numbness completely gone, feeling great", NONE),
        ("aye fine thanks", NONE),
        ("gud thx", NONE),
        ("not a bother on me", NONE),
        ("fine, no new aches, tingling or wobbliness", NONE),
        ("no new numbness or weakness and waterworks normal", NONE),
    ],
}

# questions about the patient's own body: at least urgent review (LABELS.md rule 9)
QUESTIONS = [
    "should I worry if my legs are numb?",
    "is it normal for my feet to feel numb?",
    "is it ok that I keep dropping things?",
    "should I worry about my sore neck?",
]


def _check(text: str, expected: Label) -> None:
    result = triage(text)
    if expected == AMBER:  # an amber wording read as red is safe, never lower
        assert result.label in (RED, AMBER), (text, result.label, result.evidence["reason"])
    else:
        assert result.label == expected, (text, result.label, result.evidence["reason"])


@pytest.mark.parametrize(("text", "expected"), GAPS, ids=[t for t, _ in GAPS])
def test_a_wording_that_was_missed_before_round_3_gets_its_label(
    text: str, expected: Label
) -> None:
    _check(text, expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [row for rows in CONCEPTS.values() for row in rows],
    ids=[f"{kind}: {t}" for kind, rows in CONCEPTS.items() for t, _ in rows],
)
def test_each_symptom_concept_told_in_lay_words_gets_its_label(text: str, expected: Label) -> None:
    _check(text, expected)


@pytest.mark.parametrize("text", QUESTIONS)
def test_a_question_about_the_patients_own_body_reaches_a_person_urgently(text: str) -> None:
    result = triage(text)
    assert result.label in (RED, AMBER) or str(result.review) == "urgent", (text, result.label)


@pytest.mark.parametrize(
    "text",
    ["my back never stops hurting", "my legs never stop tingling", "neck never stops aching"],
)
def test_never_stopping_is_no_resolution(text: str) -> None:
    assert triage(text).label in (RED, AMBER), text
