"""Round 2 of issue 11: wordings written for this test (not corpus rows), by the kinds of
language that failed on replies written by other people. A red or amber symptom in any of them
must never come out `none`, and must reach a person urgently (red, amber or urgent review)."""

from __future__ import annotations

import pytest

from messages.triage import triage
from messages.triage.engine import rules_only
from schema.vocabulary import Label
from tests.triage.conftest import reaches_a_person_urgently

SYMPTOMS_BY_KIND: dict[str, list[str]] = {
    "negation scope": [
        "No pain at all but I can't feel my toes properly",
        "not a bad day, though my legs keep buckling on me",
        "Nothing wrong with my back, my feet are what's numb",
        "I'm not worried, just the tingling in my hands again",
        "no complaints except my left leg dragging a bit",
        "all fine no issues apart from wetting myself twice this week",
    ],
    "intensifier never": [
        "Never had my feet go dead like this before",
        "never felt my legs this heavy in my life",
        "I've never been so wobbly on my feet",
    ],
    "exceptions/corrections": [
        "Everything's fine other than my bum feeling numb when I sit",
        "all ok except I keep dropping my cup",
        "feeling well, only thing is my legs keep going from under me",
        "fine thanks, bar the pins and needles in both feet",
        "Back's fine. Legs aren't though, they're like jelly",
        "hands are ok, it's my feet, can't feel the floor",
        "Doing well except for the ache between my shoulder blades",
        "All good apart from my back which is killing me at night",
    ],
    "hedged denials": [
        "I wouldn't say numb exactly but my feet feel odd",
        "not numb as such, more like my legs belong to someone else",
        "can't say my legs are right",
        "I don't think it's weakness but I keep tripping over my own feet",
        "not really pain, more a tight band round my chest",
    ],
    "double negatives": [
        "I can't say I haven't had some tingling",
        "it's not that my legs don't feel weak",
    ],
    "long distance / later clause": [
        "my legs, honestly, since the weekend they've been giving way",
        "my back, well, it has got steadily worse since Monday",
        "when I stand up, after a minute or so, in both of my legs, there's a buzzing",
        "sore when I press, right there, the middle of my spine",
    ],
    "effect": [
        "I need the walking frame to get to the loo now",
        "had to go up the stairs on my hands and knees",
        "my writing has gone all spidery and I can't hold the pen",
        "keep knocking cups over, fingers won't do what I tell them",
        "feels like I'm walking on marbles",
        "my back's murdering me",
        "Had to hold onto the walls to get to the kitchen",
        "I couldn't get out of the chair this morning",
    ],
    "resolved/past doubted": [
        "The tingling went away but it's come back today",
        "numbness has mostly gone",
        "back pain was sorted but it's returned worse",
    ],
    "other people + patient": [
        "my wife has a cold, and my legs are weak",
        "husband's fine, I'm the one who can't feel my feet",
    ],
    "voice to text": [
        "tinkling in my toes since yesterday",
        "I can't control my ladder",
        "my legs feel week",
        "I've got pins and noodles in my feet",
        "my bowels are leaking and I didn't notice",
    ],
    "text speak": [
        "legz r rly heavy 2day",
        "cnt feel me feet lol",
        "bk killin me",
    ],
    "dialect": [
        "me legs have gone proper wonky",
        "my back's giving me gyp",
        "I'm all of a dither on my pins",
        "legs feel like cooked spaghetti",
    ],
    "carers": [
        "Mum's fine in herself but she can't stand up on her own today",
        "dad's been wet through twice and didn't know",
    ],
    "quoted + symptom": [
        '"Reply if you have new back pain" yes I do, it\'s bad',
    ],
    "hypothetical + real": [
        "what should I do if my legs go weak? they've been a bit weak today",
    ],
    "bladder": [
        "haven't had a wee since yesterday morning",
        "can't tell when I need the toilet anymore",
        "couldn't stop my bowels this morning",
    ],
    "chatter + buried symptom": [
        "Lovely weather, went to the garden centre, bought some roses, "
        "my feet were numb walking round, then had tea",
        "All grand here, only my soles feel sort of far away",
        "Fine, grandkids visited, my arm feels strange and heavy",
        "Good thanks. Slept well. Bit unsteady this morning",
    ],
    "multilingual": [
        "Wszystko dobrze, tylko nogi mi drętwieją",
        "Dw i'n iawn ond mae fy nghoesau'n wan",
        "Tudo bem, mas não sinto as pernas",
        "Sab theek hai bas tangon mein kamzori hai",
        "Iyi ama bacaklarim uyusuyor",
    ],
    "resolved, then returned or only eased": [
        "back pain was sorted but it's returned worse",
        "the tingling stopped, it's come back now though",
        "numbness cleared up last week, it's returned since Sunday",
        "I can't say I haven't had some tingling",
        "couldn't say my legs are right",
        "the weakness is a bit better",
        "legs improving but still wobbly",
        "pain has eased off somewhat",
        "the numbness is less than it was",
    ],
    "someone else noticed, or our question answered": [
        "my husband says I'm walking funny",
        "my daughter noticed I was dragging my foot",
        "the nurse said my legs looked weak",
        "you asked about numbness, yes I have it in my feet",
        "you asked if I have back pain and I do",
    ],
    "no change or the usual, still there": [
        "no new symptoms, just the same numb feet as before",
        "same as last week, legs still weak",
        "no change, still can't feel my toes",
        "nothing new, the old back pain is worse though",
        "fine apart from my usual backache which is getting worse",
        "Had numbness last year, fine now, but this week my feet have gone funny again",
    ],
    "all-well with a symptom beside it": [
        "All good! 😊 Just a bit of a dead leg",
        "Not bad thanks, a little tingly in the fingertips",
        "I'm ok, although walking is harder than it was",
        "I'm fine, I just can't get up the stairs any more",
        "fine, been using a stick since Tuesday",
        "grand, just need the frame to get about now",
        "all good here, my wee is a bit hit and miss",
        "no dramas, had a little accident on the way to the loo",
        "I'm OK, nothing to report, other than I went over on my legs twice",
        "fine fine fine, back is agony though",
        "Am good just sore in the middle of my back",
        "I feel fine in myself, just can't lift my arms above my head",
        "everything fine, just my hands are clumsy",
        "Not much to say, bum feels a bit numb",
        "nothing much, bit of back ache at night",
        "no problems, legs feel a bit like jelly",
        "no aches or pains, though my feet feel like they're wrapped in cotton wool",
        "no pain, just weak",
        "no worries here except the numbness",
        "none of that pain stuff, but my bladder isn't right",
        "don't worry about me, legs just giving out now and then",
        "not too bad, wee bit of numbness",
        "nae bother, legs are pure jelly the day",
        "I'm champion, just me pins are a bit wonky",
        "tidy, but my back is proper sore",
        "canny, but my legs are like lead",
        "ok but keep peeing myself",
        "ok but I need to go all the time and nothing comes",
        "fine, can't feel when I need a poo",
        "nothing to report, wet the bed last night",
        "doing well though I had a fall this morning",
        "fine, legs went from under me in the shower",
        "good, though I've been stumbling a lot",
        "all well, slight pins n needles in me toes",
        "yes fine, feet burning and tingling at night",
        "OK. Pain in my chest going round like a band",
        "fine thanks, sharp pain down the back of my leg",
        "fine just a shooting pain down my arm",
        "good, pain round my ribs like a belt",
    ],
    "told by its effect, in forms and lists, or masked by painkillers": [
        "I'm fine, just can't get up from the toilet without help",
        "all good, using the walls to get round the house",
        "ok, hubby has to help me dress now",
        "fine but I've wet the bed",
        "grand, though the stairs are beyond me now",
        "all good, I keep missing the step",
        "fine thanks, been a bit clumsy, broke two mugs",
        "fine, my slippers keep falling off without me noticing",
        "all good, I didn't realise I'd wet myself",
        "fine, but I'm going to the loo every 20 minutes and nothing comes",
        "fine, strange band feeling around my middle",
        "fine, electric shocks down my legs when I bend my neck",
        "ok, feels like I'm wearing thick socks",
        "ok, the floor feels spongy",
        "ok, the bath water doesn't feel hot on my legs",
        "fine except I can't tell if I've been",
        "my bottom feels like I'm sitting on a cushion all the time",
        "can't feel the toilet paper when I wipe",
        "I'm not walking well",
        "haven't been able to walk far this week",
        "legs not great",
        "back's not brilliant",
        "can't say I'm fine, legs are shot",
        "the pain goes when I lie down",
        "back pain's gone now I'm on the morphine",
        "my wife says I'm fine but I can't feel my feet",
        "You asked about weakness: no. Numbness: yes, in my feet",
        "Is it normal for my legs to be numb after radiotherapy?",
        "is it ok that my feet are tingling?",
        "Back pain: no. Numbness: no. Weakness: yes",
        "No to all except weakness",
        "None of those, except the bladder",
        "No numbness, no weakness, no bladder problems. Back pain yes",
        "No. Well, maybe a bit of tingling",
        "no new symptoms apart from the numbness",
        "nothing different, just the usual numb feet",
        "no change - still numb",
        "all good except my bum is numb",
        "No pain today. Can't feel my legs though",
        "None. Legs weak",
        "fine x legs bit weak x",
        "Fine. Fell over twice",
        "fine, bit of a stumble on the stairs, legs went",
        "all fine, had a wobble in the kitchen and ended up on the floor",
        "all good, I had to get my neighbour to pick me up off the floor",
        "ok, not been able to pee since last night",
        "no problems except I've not had a wee all day",
        "all fine, just leaking a bit when I cough",
        "feeling fine, bowels have a mind of their own",
        "fine, but I keep soiling myself",
        "I'm grand, but getting out of the car is a real struggle with my legs",
        "good thanks, pain in my back at night keeps me up",
        "fine, back aches when I cough or sneeze",
        "Ok. Sharp pains between my shoulder blades",
        "doing alright, my neck is really sore",
        "all good, bit of backache that's getting worse",
        "feeling ok, back has been sore for 3 weeks and not getting better",
    ],
}
CASES = [(kind, text) for kind, texts in SYMPTOMS_BY_KIND.items() for text in texts]


@pytest.mark.parametrize(("kind", "text"), CASES, ids=[f"{k}: {t[:40]}" for k, t in CASES])
def test_a_symptom_told_in_this_kind_of_wording_is_never_none_and_reaches_a_person_urgently(
    kind: str, text: str
) -> None:
    result = triage(text)
    assert result.label != Label.NONE, result.evidence["reason"]
    assert reaches_a_person_urgently(result), result.evidence["reason"]


@pytest.mark.parametrize(
    "text",
    [
        "The tingling stopped last month. It's come back this week",
        "my back pain was fixed by the physio, now it's flared up",
        "numbness went away after the steroids, but it's started again",
        "the weakness cleared, sadly it has returned",
    ],
)
def test_a_return_told_anywhere_after_a_resolution_undoes_it(text: str) -> None:
    assert triage(text).label in (Label.RED, Label.AMBER)


@pytest.mark.parametrize(
    "text",
    [
        "the tingling went after radiotherapy and hasn't come back, all good",
        "back pain cleared up in the summer and never returned, feeling fine",
        "numbness all gone since the op. Came back from my daughter's yesterday, all fine",
    ],
)
def test_a_return_that_is_denied_or_about_a_trip_leaves_the_resolution_standing(
    text: str,
) -> None:
    assert triage(text).label == Label.NONE, triage(text).evidence["reason"]


@pytest.mark.parametrize(
    "text",
    [
        "the back pain has eased off somewhat",
        "numbness has settled a bit",
        "pain died down a little",
    ],
)
def test_a_symptom_that_has_only_eased_is_current(text: str) -> None:
    assert triage(text).label in (Label.RED, Label.AMBER)


@pytest.mark.parametrize("text", ["I'm not walking well", "legs not great", "not feeling myself"])
def test_a_denied_all_well_goes_to_a_person_urgently(text: str) -> None:
    result = triage(text)
    assert reaches_a_person_urgently(result)


@pytest.mark.parametrize(
    "text",
    [
        "fine, though the stairs are beyond me now",
        "fine except I can't tell if I've been",
        "all good, just now and then I can't tell if I need to go",
    ],
)
def test_a_cue_or_a_doubt_after_a_contrast_is_news_not_an_explanation(text: str) -> None:
    result = triage(text)
    assert result.label != Label.NONE
    assert reaches_a_person_urgently(result)


@pytest.mark.parametrize(
    "text",
    [
        "no numbness, pins and needles in my hands",
        "no tingling, numbness in my feet",
        "no numbness no weakness no pain legs like jelly",
        "fine no tingling no numbness can't feel my feet",
    ],
)
def test_a_symptom_after_a_denied_list_that_is_not_an_item_of_it_is_read(text: str) -> None:
    assert triage(text).label == Label.RED, triage(text).evidence["reason"]


@pytest.mark.parametrize(
    "text",
    [
        "no pain, tingling or weakness",
        "no numbness, tingling or weakness in my legs",
        "no numbness in my feet or legs",
    ],
)
def test_a_denied_list_still_denies_every_item(text: str) -> None:
    # The rules' scope is what this checks. The second reader, which sees letters and words but
    # not scope, may still send a denial of many symptom words to urgent review (it raised
    # "no numbness in my feet or legs" once retrained on 2026-12-01's larger corpus: P(alert)
    # 0.948 against 0.94): never lower, and never to an alert.
    assert rules_only(text).label == Label.NONE, rules_only(text).evidence["reason"]
    both = triage(text)
    assert both.label in (Label.NONE, Label.UNCLEAR), both.evidence["reason"]


@pytest.mark.parametrize(
    "text",
    [
        "Mum says she's fine and sends her thanks, but my back is killing me",
        "dad ok, nothing new, eating and walking fine. the stairs are beyond me now",
    ],
)
def test_a_symptom_only_inferred_to_be_the_carers_own_is_never_none(text: str) -> None:
    result = triage(text)
    assert result.label != Label.NONE
    assert reaches_a_person_urgently(result)


# Read after the round-3 held-out measurement (docs: messages/triage/README.md): its four safety
# misses, each closed by kind and tested here with wordings of our own, not the held-out rows.
@pytest.mark.parametrize(
    "text",
    [
        "I can't say I don't not have tingling in my feet",
        "my legs? not not weak, if you follow",
        "Honestly it isn't not numb down there",
    ],
)
def test_a_doubled_denial_denies_nothing_and_the_symptom_is_red(text: str) -> None:
    assert triage(text).label == Label.RED


@pytest.mark.parametrize(
    "text",
    [
        "should I worry that I don't really feel anything when I wipe",
        "Mum says she doesn't feel much when wiping now",
        "not feeling a thing with the toilet paper lately, is that normal?",
    ],
)
def test_no_feeling_when_wiping_is_saddle_numbness_even_asked_as_a_question(text: str) -> None:
    assert triage(text).label == Label.RED


@pytest.mark.parametrize(
    "text",
    [
        "Sunt bine, dar nu mai simt cand am nevoie la toaleta",
        "Mama e bine, doar ca nu simte cand trebuie sa mearga la baie",
    ],
)
def test_romanian_no_longer_feeling_the_need_to_go_is_red(text: str) -> None:
    assert triage(text).label == Label.RED
