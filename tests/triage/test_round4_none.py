"""Round 4: English all-well replies shown `none`, in wordings written for this test by kind, never
taken from a corpus row; beside each kind, the wordings that must still reach a person.

H32: a bare "no change", "same as usual", "as before" (the whole reply, with or without thanks,
greetings and sign-offs) answers the question we ask (any new symptoms?) and is `none`, in English
as in every other lexicon language. Told of a part of the body, a symptom, walking or an unnamed
"it", it is a state going on: urgent review at least."""

from __future__ import annotations

import pytest

from messages.triage import triage
from schema.vocabulary import Label, Review


def reaches_a_person_urgently(text: str) -> tuple[bool, str]:
    result = triage(text)
    urgent = result.label in (Label.RED, Label.AMBER) or (
        result.label == Label.UNCLEAR and result.review == Review.URGENT
    )
    return urgent, f"{result.label}/{result.review}: {result.evidence['reason']}"


BARE_UNCHANGED = [
    "No change",
    "no changes here, thanks",
    "Hiya, no change this end x",
    "Same as usual",
    "same as usual love",
    "As before, thank you",
    "all as before",
    "Nothing different",
    "nothing different to report",
    "Still the same, thank you",
    "much the same as ever",
    "Same old same old",
    "Evening. Same as last time, cheers",
    "same as last week",
    "no change since my last message",
    "as per usual, ta",
    "Unchanged, thanks",
    "Morning! Same as ever 👍",
    "No changes at all. Thanks for checking in",
]

# told of a part of the body, a symptom, getting about or "it": the state that has not changed may
# be a symptom (the lead's decision, H32: "no change" OF something stays urgent review)
UNCHANGED_OF_SOMETHING = [
    "back no change",
    "legs same as before",
    "back same as usual thanks",
    "my feet as before",
    "Legs no different, thanks",
    "still the same with my legs",
    "same as usual with my bladder",
    "bowels as usual",
    "no change in my legs",
    "the pain is the same",
    "pain no different",
    "numbness no change",
    "tingling same as before",
    "it's the same as before",
    "it's no different",
    "they're the same as last week",
    "walking same as before thanks",
    "my walking is much the same",
    "my mobility no change, thanks",
    "mobility unchanged",
    "no change with my walking",
    "Same as last week, no worse no better",
    "same as I told the nurse",
    "no change tingling in my feet",
    "no change legs weak",
    "no change, but had a fall",
]

# (language, bare "no change" or "as before", the same told of a part of the body)
OTHER_LANGUAGES = [
    ("cy", "dim newid, diolch", "dim newid yn fy nghefn"),
    ("pl", "bez zmian, dziękuję", "nogi bez zmian"),
    ("pl", "nic się nie zmieniło", "nic się nie zmieniło z nogami"),
    ("ro", "ca de obicei, multumesc", "spatele ca de obicei"),
    ("pt", "sem alterações, obrigada", "sem alterações nas costas"),
    ("tr", "değişiklik yok", "sırtımda değişiklik yok"),  # noqa: RUF001 (Turkish dotless i)
    ("lt", "be pokyčių", "kojos be pokyčių"),
    ("so", "isbeddel ma jiro", "lugaha isbeddel ma jiro"),
    ("ar", "لا تغيير", "لا تغيير في رجلي"),
    ("ar", "بدون تغيير، شكرا", "ظهري بدون تغيير"),
    ("ur", "koi tabdeeli nahi", "kamar mein koi tabdeeli nahi"),
    ("pa", "koi farak nahi ji", "lattan vich koi farak nahi"),
    ("bn", "age jemon chilo", "age jemon chilo payer"),
    ("gu", "koi fer nathi", "pag ma koi fer nathi"),
]


@pytest.mark.parametrize("text", BARE_UNCHANGED)
def test_a_bare_no_change_is_shown_none(text: str) -> None:
    result = triage(text)
    assert result.label == Label.NONE, result.evidence["reason"]


@pytest.mark.parametrize("text", UNCHANGED_OF_SOMETHING)
def test_no_change_told_of_the_body_a_symptom_or_walking_reaches_a_person_urgently(
    text: str,
) -> None:
    urgent, why = reaches_a_person_urgently(text)
    assert urgent, why


@pytest.mark.parametrize(("lang", "bare", "of_the_body"), OTHER_LANGUAGES)
def test_every_language_shows_a_bare_no_change_none_and_sends_it_of_the_body_to_a_person(
    lang: str, bare: str, of_the_body: str
) -> None:
    assert triage(bare).label == Label.NONE, (lang, triage(bare).evidence["reason"])
    urgent, why = reaches_a_person_urgently(of_the_body)
    assert urgent, (lang, why)


SYMPTOMS = ("my legs have gone weak", "can't feel my feet", "wet myself twice", "back is agony")


@pytest.mark.parametrize("symptom", SYMPTOMS)
def test_a_symptom_beside_a_bare_no_change_is_never_none(symptom: str) -> None:
    missed = [
        (text, result.label, result.review)
        for bare in BARE_UNCHANGED
        for text in (f"{bare}. {symptom}", f"{bare}, but {symptom}", f"{symptom}, {bare}")
        if (result := triage(text)).label == Label.NONE
        or (result.label == Label.UNCLEAR and result.review != Review.URGENT)
    ]
    assert missed == []


# Round 4 all-well kinds that went to review on main (wordings written for this test), and beside
# each kind the same words with a symptom, which must still reach a person urgently
ALL_WELL_BY_KIND: dict[str, list[str]] = {
    "text-speak: dropped g, nought for o, misspelt symptoms": [
        "nuffin 2 report hun",
        "im fyn ta",
        "no new symtoms x",
        "nuttin new here",
        "doin fine, thanks for checkin",
        "keepin well ta",
        "all g00d thanks",
        "no new symptons thank u",
    ],
    "regional and street greetings and sign-offs": [
        "Ah'm fine, dinnae fash yersel",
        "och dinnae fash, am grand",
        "ta muchly, all good",
        "Righto",
        "naw, nowt new",
        "wagwan, all good fam",
        "eyup, all fine here",
        "I'm fine, don't you worry about me",
    ],
    "a bare no or nil as the whole answer": [
        "No.",
        "no x",
        "Nil",
        "N/A",
        "No, no and no",
        "Negative on all counts",
        "nope nope nope.",
    ],
    "well told with an adverb, or no single symptom": [
        "I am quite well, thank you",
        "Yes, perfectly well",
        "really well in fact",
        "not a single symptom 👍",
        "Not a single problem this week",
    ],
    "formal letters and answers to our question": [
        "I have experienced no new symptoms since my last message. Kind regards",
        "Dear nurse, no new symptoms since our last conversation. Regards",
        "I haven't noticed any of the symptoms you listed",
        "have not experienced any symptoms, thank you",
        "To answer your question, nothing new",
        "In reply to your text: no, no and no.",
    ],
    "everyday news that asks nothing": [
        "Back from my holidays, all fine",
        "home from a lovely trip, nothing new",
        "Had my flu jab yesterday, all good",
        "appointment went well, nothing new",
    ],
    "our questions answered as a form": [
        "Numbness? No.",
        "Back pain: none. Weakness: no.",
        "Legs: fine. Back: fine. Bladder: fine.",
        "bladder or bowel changes? none",
        "Any new pain? Nope.",
    ],
    "idioms and bare denials of a whole sentence": [
        "nun new",
        "Not a thing. Went to the bingo and won a fiver",
        "fit as a flea, me",
        "Never been healthier, swimming twice a week",
    ],
    "a denial of a part of the body or of every symptom at once": [
        "nothing wrong with my arms or legs, bowels fine",
        "Nothing in my feet or hands, all ok",
        "nothing's tingly, nothing's sore",
        "nothing aches, nothing tingles",
        "I haven't had no tingling nor nothing like that",
        "not poorly at all, thanks",
        "I'm not unwell at all",
        "can't think of anything wrong",
    ],
    "a carer's all-well, a greeting asked back, a promise to ring": [
        "No problems with Mum this week",
        "all fine with him, thanks",
        "no worries with Dad, he's pottering in the garden",
        "all's good here",
        "Alright? All fine here",
        "Morning! How are you? Nothing new from me",
        "Me? Never better",
        "I know to call the line if anything changes",
        "will let you know if anything changes",
    ],
    "idioms of wellness and of not complaining": [
        "Still alive and kicking!",
        "Can't grumble",
        "Mustn't complain",
        "Not too shabby",
        "Happy and healthy",
        "In the pink",
        "I'm canny",
        "Been really well, went dancing on Saturday",
    ],
    "a denial with luck, a whole denial of symptoms, past and gone": [
        "Thankfully no",
        "Luckily nothing",
        "Nothing yet",
        "Don't have any of those symptoms",
        "I don't have any new symptoms",
        "No accidents with the toilet",
        "No back or neck pain",
        "no leg or arm weakness",
        "Had some back ache in the summer but it's long gone",
    ],
    "care homes, sign-offs, dictated punctuation, symptoms all gone": [
        "Care home here, Mrs Smith has been settled, no concerns from the staff",
        "Resident remains comfortable, no concerns raised by carers",
        "no new symptoms full stop thank you",
        "all fine comma no problems full stop",
        "All my symptoms have gone since the treatment",
        "No news from me. Take care",
    ],
    "back as an adverb, not the body": [
        "walked to the post office and back, no bother",
        "drove to town and back, all good",
        "Mum's back to her usual self, thanks",
        "all good, my hair's growing back!",
        "nothing new, thanks for having my back",
    ],
}

SYMPTOM_BESIDE_THE_KIND = [
    "nuffin 2 report, just cant feel my feet",
    "im fyn ta, legs a bit wobbly",
    "naw, nowt new, back's killing me though",
    "No, but my legs are weak",
    "no, numbness in my feet",
    "Nil, apart from wetting myself",
    "Negative on all counts except the tingling",
    "I am quite well, just can't feel my toes",
    "Not a single symptom except tingling in my feet",
    "no new symptoms since the tingling began",
    "no new symptoms since my fall",
    "I haven't noticed any of the symptoms, only numbness in my toes",
    "To answer your question, yes my legs are numb",
    "Back from holiday and my back is killing me",
    "had my flu jab and my arm's gone numb",
    "appointment went well, but my legs have gone weak since",
    "on my feet all day and now my legs are like jelly",
    "can't be on my feet all day",
    "I can't stay on my feet for hours any more",
    "been on my feet all day and can't feel them now",
    "fine, only just managed the steps",
    "walked to the shops and back pain started",
    "walked to town and back is really sore now",
    "my neck and back are sore",
    "my hair grew back but my back aches",
    "back to my usual self apart from numb toes",
    "I'm fine, don't you worry, just a bit numb down below",
    "No. Legs gone weak",
    "Numbness? No, but my feet feel odd",
    "Back pain? No. Legs? Weak.",
    "bladder? no. legs? a bit wobbly",
    "Weakness: no. Numbness: yes",
    "Any numbness? Not really.",
    "Could this be sciatica? No, it's probably nothing",
    "Is it normal to have tingling? No.",
    "not a thing helps my back pain",
    "nothing's numb except my toes",
    "nothing hurts but my legs are weak",
    "no problems with Mum, but her legs are numb",
    "I know to ring if anything changes, and my feet are numb now",
    "nothing wrong with my legs since the fall",
    "nothing's sore apart from my back",
    "Alright? my legs have gone",
    "how are you? I can't feel my feet",
    "Please call me back, my back is killing me",
    "been well but my legs are weak",
    "can't complain apart from numb feet",
    "Nothing yet, but my feet are tingling",
    "don't have any symptoms except my back hurts",
    "no back or neck pain but my legs are numb",
    "no leg or back pain, just pins and needles in my feet",
    "Had back ache but it's long gone, now my legs are weak",
    "No back pain, neck pain yes",
    "my symptoms have gone worse",
    "all my symptoms have gone except the numbness",
    "has been comfortable but her legs are weak",
    "no concerns from staff, though he can't stand up today",
]

# a denial the patient doubts in its own sentence is no denial: a person reads it urgently (on
# main the first four were `none`), while hoping is no doubt
DOUBTED_DENIALS = [
    "not sure I haven't had any symptoms",
    "I'm not sure I haven't got any symptoms",
    "not sure there's nothing new",
    "not sure there's no numbness",
    "I can't say nothing hurts",
    "I'm not sure nothing's numb",
    "no change, not sure though",
    "no problems I think",
]
# a denial that opens an all-well reaches on only along a list, and pain told by its force alone
# is pain: on main each of these was `none`
SYMPTOM_AFTER_AN_OPENING_DENIAL = [
    "no problems my back hurts",
    "nothing to report my back hurts",
    "no new symptoms cant feel my feet",
    "I haven't had any symptoms cant feel my feet",
    "no problems back pain",
    "fine, it's killing me",
    "all good, it's killing me",
    # an answer "No" with its comma left out is no denial of what follows
    "No my back hurts",
    "no my legs are weak",
    "Thankfully no my back hurts",
]


@pytest.mark.parametrize("text", SYMPTOM_AFTER_AN_OPENING_DENIAL)
def test_a_symptom_after_an_all_well_denial_with_no_list_between_is_read(text: str) -> None:
    result = triage(text)
    assert result.label in (Label.RED, Label.AMBER), result.evidence["reason"]


LISTS_AFTER_AN_OPENING_DENIAL = [
    "no new pain, tingling or weakness",
    "no new pain tingling or weakness",
    "no problems at all with my legs",
    "no issues whatsoever with my back",
    "nothing wrong at all with my legs",
    "Nothing new going on with my back or legs.",
    "No my legs are fine",
    "no my back doesn't hurt",
]


@pytest.mark.parametrize("text", LISTS_AFTER_AN_OPENING_DENIAL)
def test_a_list_after_an_all_well_denial_is_still_denied(text: str) -> None:
    result = triage(text)
    assert result.label == Label.NONE, result.evidence["reason"]


HOPED_ALL_WELL = [
    "No sign of any of it, touch wood",
    "nothing new, fingers crossed",
    "no problems, hopefully it stays that way",
    "I think I'm fine",
]


@pytest.mark.parametrize("text", DOUBTED_DENIALS)
def test_a_denial_the_patient_doubts_reaches_a_person_urgently(text: str) -> None:
    urgent, why = reaches_a_person_urgently(text)
    assert urgent, why


@pytest.mark.parametrize("text", HOPED_ALL_WELL)
def test_an_all_well_the_patient_only_hopes_will_last_is_still_none(text: str) -> None:
    result = triage(text)
    assert result.label == Label.NONE, result.evidence["reason"]


# a form's answer ends its sentence: a cue never reaches through it into the next one; and a
# "nothing" that belongs to the feeling
STILL_RED = [
    # "nothing" is the feeling's here, not a denial of the legs (this was `none` on main)
    "nothing in my legs feels right",
    "nothing in my feet works properly",
    "nothing in my arms feels like my own",
    # a "yes" after a listed symptom ends the list: these were `none` on main
    "no numbness, weakness yes",
    "No pain, tingling yes",
    "no back pain, numbness yeah a bit",
    "You asked about weakness: no. Numbness: yes, in my feet",
    "Back pain: no. Numbness: no. Weakness: yes",
    "No. My legs have gone weak",
    "Nil. Can't feel my feet",
]


@pytest.mark.parametrize("text", STILL_RED)
def test_a_red_symptom_after_a_form_answer_is_still_red(text: str) -> None:
    result = triage(text)
    assert result.label == Label.RED, result.evidence["reason"]


KINDS = [(kind, text) for kind, texts in ALL_WELL_BY_KIND.items() for text in texts]


@pytest.mark.parametrize(("kind", "text"), KINDS, ids=[f"{k[:20]}: {t[:30]}" for k, t in KINDS])
def test_an_all_well_of_this_kind_is_shown_none(kind: str, text: str) -> None:
    result = triage(text)
    assert result.label == Label.NONE, result.evidence["reason"]


@pytest.mark.parametrize("text", SYMPTOM_BESIDE_THE_KIND)
def test_a_symptom_beside_these_kinds_still_reaches_a_person_urgently(text: str) -> None:
    urgent, why = reaches_a_person_urgently(text)
    assert urgent, why


@pytest.mark.parametrize("symptom", SYMPTOMS)
def test_a_symptom_beside_any_of_these_all_well_kinds_is_never_none(symptom: str) -> None:
    missed = [
        (text, result.label, result.review)
        for _, well in KINDS
        for text in (f"{well}. {symptom}", f"{well}, but {symptom}", f"{symptom}. {well}")
        if (result := triage(text)).label == Label.NONE
        or (result.label == Label.UNCLEAR and result.review != Review.URGENT)
    ]
    assert missed == []
