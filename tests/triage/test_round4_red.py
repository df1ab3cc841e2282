"""Round 4, red and amber read as such: the kinds of wording behind the tuning part's `red` and
`amber` replies that went to urgent review or were read one level wrong, and the `unclear`
replies read as `none`. Every wording here was written for this test, by kind, never taken from
a corpus row; each kind has wordings that must keep their label the other way (``HOLDS``), so
the reading is not made narrower to fix it."""

from __future__ import annotations

import pytest

from messages.triage import triage
from schema.vocabulary import Label, Review

RED, AMBER, NONE, UNCLEAR = Label.RED, Label.AMBER, Label.NONE, Label.UNCLEAR

# (wording, label it must get), by kind
KINDS: dict[str, list[tuple[str, Label]]] = {
    # the toilet told as the occasion of a back pain is no change in the bowels or bladder
    "toilet as the occasion of the pain": [
        ("my lower back aches whenever I go for a poo", AMBER),
        ("sharp pain in my spine when I open my bowels", AMBER),
        ("back hurts when I strain to wee", AMBER),
        ("my back twinges if I push on the loo", AMBER),
    ],
    # a denial's list over a word that is also a straining qualifier ("poo")
    "a denied list naming the toilet": [
        ("no trouble with wee or poo, just my back aching all week", AMBER),
        ("no problems with pee or poo, back is agony though", AMBER),
    ],
    # English "goes" is no Welsh leg ("coes" mutated): only after the word that mutates it
    "goes is not a leg": [
        ("my back goes every time I cough", AMBER),
        ("her back goes if she bends over", AMBER),
        ("the ache in my neck goes on all day", AMBER),
        ("mae ei goes yn wan", RED),
    ],
    # the part named as not the place shows it all-well: "not my legs"
    "not my legs": [
        ("the ache is in my back, not my legs", AMBER),
        ("it's my neck that's sore, not my arms", AMBER),
        ("pain in the middle of my back, not in my legs", AMBER),
        ("no tingling or anything in my feet, just a sore back", AMBER),
    ],
    # a symptom asked about, then said to be had
    "asked about, then had": [
        ("should I ring if my feet go numb? they have been like that since Sunday", RED),
        ("what do I do if my legs feel heavy? mine's been doing that for two days", RED),
        ("Your text said to tell you about numbness. I think I have it in my toes", RED),
        ("is it normal if my hands tingle? I've had it all week", RED),
        ("do I need to tell you if my knees buckled once?", RED),
        ("you wanted to know if I have tingling, and I do", RED),
        ("your text asks about back pain at night, which I do", AMBER),
        ("is back ache at night worth ringing about? it's been keeping me up", AMBER),
    ],
    # lay pain words: kills, a stab, jabbing
    "lay pain words": [
        ("me back kills when I bend", AMBER),
        ("my neck kills", AMBER),
        ("I get a stab in my lower back when I sneeze", AMBER),
        ("jabbing in my spine", AMBER),
    ],
    # pain told by where it goes
    "pain told by where it goes": [
        ("it shoots up my spine when I sneeze", AMBER),
        ("sneezing goes straight through my back", AMBER),
        ("when I laugh it jars my back", AMBER),
        ("coughing goes right up into my neck", AMBER),
    ],
    # radicular pain told by where it runs
    "radicular pain told by where it runs": [
        ("pain along my ribs from my spine", RED),
        ("a line of pain across my chest from my back", RED),
        ("my arm aches from the neck down", RED),
        ("burning following my ribs round to the front", RED),
    ],
    # the spine with no "my"
    "the spine with no my": [
        ("spine feels battered", AMBER),
        ("spine's knackered", AMBER),
        ("lower back feels bruised", AMBER),
    ],
    # voice-to-text real-word errors and slips of the keys on "back" and "neck"
    "voice-to-text and typing slips": [
        ("my black is aching", AMBER),
        ("pain in my lower black", AMBER),
        ("my nick is killing me", AMBER),
        ("my bsck hurts", AMBER),
        ("bavk is sore", AMBER),
        ("my back is relly soer", AMBER),
    ],
    # pain so bad the patient cannot move is the pain (the lexicon's "because of pain" rule)
    "the pain stops the moving": [
        ("my back's that bad I can't get out of the chair", AMBER),
        ("the back pain is that bad I can't get up off the sofa", AMBER),
        ("the pain in my back is so bad I can't walk far", AMBER),
    ],
    # "can't X without Y" is "every time I X, Y": no denial of Y, no bowel symptom
    "can't X without Y": [
        ("I can't cough without my back hurting", AMBER),
        ("can't go to the loo without my back screaming", AMBER),
        ("can't sneeze without it killing my back", AMBER),
    ],
    # a fall told with its trip
    "a fall told with its trip": [
        ("had a tumble last week, tripped on the rug, my back's sore since", AMBER),
        ("fell over on Sunday, slipped on the ice, legs are fine but my back aches", AMBER),
    ],
    # back pain and its lay forms after the word
    "the back locks or goes": [
        ("my back locks up when I cough", AMBER),
        ("I've done my back in and it's not getting better", AMBER),
        ("his back seizes up when he sneezes", AMBER),
        ("my back's been at me all week", AMBER),
    ],
    # weakness told by its effect, in care staff's and everyday words
    "weakness told by its effect": [
        ("resident not mobilising as well today", RED),
        ("his mobility has deteriorated this week", RED),
        ("she isn't weight bearing", RED),
        ("now needs two staff to transfer her", RED),
        ("mum can't fasten her coat any more", RED),
        ("struggling to do up my shirt", RED),
        ("he can't button his cardigan", RED),
        ("takes me a few goes to stand up", RED),
        ("needed three attempts to get off the loo", RED),
        ("getting up from the chair is a real struggle now", RED),
        ("had to be helped off the bus", RED),
        ("my husband had to carry me up to bed", RED),
        ("she has to be wheeled to the bathroom now", RED),
        ("my son says I'm shuffling", RED),
    ],
    # the stairs told as hard, with no other cause given
    "the stairs told as hard": [
        ("all fine, only thing is I'm struggling with the stairs", RED),
        ("the stairs are beyond me now", RED),
        ("mum's finding it hard to get up the stairs", RED),
        ("my husband keeps losing his balance", RED),
    ],
    # a capacity told as missing: the "no" is the symptom's, never a denial of the part
    "a capacity told as missing": [
        ("no movement in my legs", RED),
        ("I've got no use of my arm", RED),
        ("no life in my legs", RED),
        ("no control over my legs", RED),
        ("my legs have no strength", RED),
        ("I feel nothing in my feet", RED),
        ("zero feeling in my toes", RED),
        ("I've got no control down there", RED),
        ("I've got no say over my bladder", RED),
        ("I get no warning, it just comes", RED),
        ("no bladder control", RED),
        ("no bowel control now", RED),
        ("no spring in my legs at all", RED),
        ("neither leg feels right", RED),
        ("none of my toes feel normal", RED),
        ("not walking at all now", RED),
        ("no way I can walk to the shop now", RED),
        ("not strong enough to get up", RED),
        ("not steady at all", RED),
        ("I'm nowhere near as steady as I was", RED),
    ],
    # standing, not the feet: "on my feet all day"
    "on my feet is standing": [
        ("back hurts more when I'm on my feet all day", AMBER),
        ("my neck aches if I've been stood on my feet", AMBER),
        ("my back is sore after being on my feet at work", AMBER),
        ("standing on my feet all morning makes my back ache", AMBER),
    ],
    # news of treatment or an appointment, with thanks only, is for a person
    "treatment news with thanks": [
        ("thanks, starting chemo again next week", UNCLEAR),
        ("cheers, I've got a scan on Tuesday", UNCLEAR),
        ("Thank you. We're stopping the hormone tablets now", UNCLEAR),
        ("ok, seeing the oncologist on Monday", UNCLEAR),
    ],
}

# each kind's wordings that must keep their label: the change reads the kind, not more
HOLDS: list[tuple[str, Label]] = [
    # the toilet in a real red symptom stays red
    ("back ache, and I've had a poo accident", RED),
    ("my back hurts and I can't feel when I need a poo", RED),
    ("back pain when I go to the loo and I've wet myself", RED),
    ("my back aches and I keep leaking wee", RED),
    # a part named as the place of a red symptom stays red
    ("not my back, my legs are numb", RED),
    ("not my legs, it's my arms that feel weak", RED),
    # "mine" told well after a question stays all-well or a question
    ("you said to tell you if my legs go weak, mine are grand, thanks", NONE),
    # a denial of the part with no capacity named stays a denial
    ("no problems with my legs", NONE),
    ("no issues in my legs", NONE),
    ("no bladder or bowel problems", NONE),
    ("no loss of bladder control", NONE),
    ("neither leg feels weak", NONE),
    # steadiness of something else is no unsteadiness
    ("my mood is not as steady as before", UNCLEAR),
    ("upper back pain worse at night, nothing in my legs", AMBER),
    # pain along a scar or a stoma is no band round the trunk
    ("a line of pain along my scar", UNCLEAR),
    # had in the past and gone is no affirmation
    ("You asked about numbness. I had that in the spring but it went after the steroids", NONE),
    # a real inability stays red
    ("my legs are so weak I can't get out of bed", RED),
    ("I can't walk without my stick now", RED),
    ("had a fall, tripped over nothing, legs just went", RED),
    ("fell again, tripped over my own feet", RED),
    # a real-word error's word used as itself is no back pain
    ("my black cat is poorly", UNCLEAR),
    # a treatment told beside a real all-well stays all-well
    ("started my new tablets, feeling fine", NONE),
    ("been to see the consultant, all good thanks", NONE),
    ("steroids sorted my back in May, walking normally since", NONE),
    # the stairs hard because of a joint or the breath: a person reads it, never `none`
    ("my knees are bad so I'm struggling with the stairs", UNCLEAR),
    ("Knees keep aching on the stairs", UNCLEAR),
    # the stairs denied, or managed, are all-well
    ("no trouble with the stairs", NONE),
    ("I can do the stairs fine", NONE),
    # the feet told of while standing stay the feet
    ("I'm on my feet but they feel numb", RED),
    ("wobbly on my feet today", RED),
    # helped because of something else is no weakness
    ("I was helped into the taxi by the driver, all good", NONE),
]

CASES = [(kind, text, label) for kind, cases in KINDS.items() for text, label in cases]


@pytest.mark.parametrize(("kind", "text", "label"), CASES, ids=[c[1][:40] for c in CASES])
def test_a_wording_of_the_kind_gets_its_label(kind: str, text: str, label: Label) -> None:
    result = triage(text)
    assert result.label == label, (kind, result.evidence.get("reason"))


@pytest.mark.parametrize(("text", "label"), HOLDS, ids=[h[0][:40] for h in HOLDS])
def test_a_wording_beside_the_kind_keeps_its_label(text: str, label: Label) -> None:
    result = triage(text)
    assert result.label == label, result.evidence.get("reason")
    if label == UNCLEAR and any(word in text for word in ("stairs", "legs", "back")):
        assert result.review == Review.URGENT, result.evidence.get("reason")


def test_a_question_about_a_red_symptom_alone_still_goes_to_urgent_review() -> None:
    result = triage("what should I do if my legs go weak?")
    assert (result.label, result.review) == (UNCLEAR, Review.URGENT)


def test_an_affirmed_symptom_says_what_affirmed_it() -> None:
    result = triage("is it bad if my legs feel weak? it's been going on a few days")
    found = [f for f in result.evidence["findings"] if f.get("symptom") == "limb_weakness"]
    assert found and found[0]["status"] == "present"
    assert "been going on" in found[0]["affirmed"]


@pytest.mark.parametrize("text", ["there's nothing in my legs", "nothing in my legs today"])
def test_nothing_in_the_legs_is_never_none_and_reaches_a_person_urgently(text: str) -> None:
    result = triage(text)
    assert result.label == RED or result.review == Review.URGENT, result.evidence.get("reason")
