"""Round 2 of issue 11: all-well replies written for this test (not corpus rows), by the kinds
that went to review or alert on replies written by other people: chatter, news, thanks, emoji,
text-speak, dialect, voice-to-text, carers, denials in lay words, resolved symptoms and the
all-well phrases of the languages the lexicon reads. Each is shown `none`, every word placed."""

from __future__ import annotations

import pytest

from messages.triage import triage
from schema.vocabulary import Label

ALL_WELL_BY_KIND: dict[str, list[str]] = {
    "recurrence words, harmless": [
        "back pain went after radiotherapy and hasn't come back, all good",
        "came back from my daughter's yesterday, all fine",
        "all well, we're back again from the caravan",
        "the numbness cleared up in the summer and never returned, feeling fine",
    ],
    "chatter / news / thanks": [
        "All good here, been to the allotment and picked the last of the beans 🙂",
        "Fine thanks love, grandson's birthday party on Saturday, lots of cake",
        "no problems, just watching the snooker",
        "Ta very much, all good x",
        "Thanks for checking in! Nothing to report, having a quiet day",
        "yep fine, off to bingo later",
        "all good, the dog had me up early though",
        "lovely to hear from you, all well here",
    ],
    "dialect": [
        "grand thanks",
        "I'm tidy ta",
        "champion, ta",
        "canny thanks pet",
        "all reet",
        "right as rain thanks",
        "I'm sound",
        "doing alright me duck",
        "no bother at all",
        "braw the day",
    ],
    "text speak / emoji": [
        "all gd ty",
        "im gd thx",
        "fine ty 👍👍",
        "😀 all ok",
        "all g",
        "k all fine",
    ],
    "carers": [
        "mum's doing fine",
        "Dad's fine thanks, no problems",
        "He's been grand all week, no new aches",
        "Mum is well, eating well and out walking",
    ],
    "lay denials": [
        "no probs with me legs",
        "legs are fine, back's fine",
        "no bother with me back or legs",
        "feet are grand, no tingles",
        "walking fine, no wobbles",
        "waterworks all normal",
        "bladder and bowels fine",
        "no numbness no weakness no pain",
        "no issues with walking or the loo",
    ],
    "resolved": [
        "the back ache I had last month has completely gone, all fine now",
        "right as rain again since the physio sorted it",
        "sciatica cleared up after the injection, feeling good",
    ],
    "voice to text": [
        "I am fine thank you full stop",
        "all good thanks comma nothing new",
        "fine thanks no new symptoms",
    ],
    "other languages": [
        "Dw i'n iawn diolch",
        "Popeth yn iawn",
        "Wszystko w porządku, dziękuję",
        "Czuję się dobrze",
        "Theek hoon shukriya",
        "Main theek hoon ji",
        "Sab vadhiya hai",
        "Ami bhalo achi",
        "Hu saru chu",
        "Estou bem, obrigada",
        "Tudo bem por aqui",
        "Sunt bine, mulțumesc",
        "Totul e bine",
        "Ana bikhair, shukran",
        "الحمد لله بخير",
        "Waan fiicanahay, mahadsanid",
        "Iyiyim, teşekkürler",
        "Her şey yolunda",
        "Viskas gerai, ačiū",
        "Jaučiuosi gerai",
        "Da iawn diolch",
        "Dim byd newydd, diolch",
        "Iawn diolch, dim problem",
        "Teimlo'n dda heddiw",
        "Dim poen, popeth yn iawn",
        "W porządku, dzięki",
        "Nic nowego, wszystko ok",
        "Dobrze się czuję, dziękuję",
        "Nic mnie nie boli",
        "bilkul theek hoon, shukriya",
        "alhamdulillah sab theek hai",
        "main changa haan ji",
        "sab vadiya ji",
        "thik achi, dhonnobad",
        "shob thik ache",
        "ami bhalo achi dhonnobad",
        "majama chu",
        "badhu barabar chhe, aabhar",
        "Tudo ótimo, obrigado",
        "Sem problemas, obrigada",
        "Nada de novo, estou bem",
        "Mă simt bine, mulțumesc",
        "Nicio problemă, totul e bine",
        "Nimic nou, sunt bine",
        "أنا بخير والحمد لله",
        "كل شيء بخير شكرا",
        "ana bkhair alhamdulillah",
        "kulshi tamam shukran",
        "Wax dhib ah ma qabo, mahadsanid",
        "waan caafimaad qabaa",
        "Gayet iyiyim, sağ ol",
        "Sorun yok, her şey iyi",
        "Man viskas gerai, ačiū",
        "Nieko naujo, jokių problemų",
    ],
    "denial reaching the body after 'nothing new going on'": [
        "Nothing new going on with my back or legs, cheers",
        "nothing to report with my legs or back",
        "Been walking into town on foot every morning, all good",
        "Had a long day on my feet at the market, all good",
        "obosh ba durbolota kichui nei, sob thik",
    ],
    "denials of the body, object first, in other languages": [
        "Sunt bine. Nu am dureri de spate, nu am amorțeli, la toaletă totul e normal.",
        "Nic mnie nie boli, nóg nie mam słabych",
        "Nugaros neskauda, kojos nesilpsta, ačiū",
        "lugaha wax dhib ah ma qabaan, mahadsanid",
    ],
    "longer replies, chatter and news": [
        "Hi there, yes I'm keeping well thank you. Nothing new at all. Hope you're all ok at the hospital",  # noqa: E501
        "Fine thanks, had a lovely walk along the prom with the dog this morning, legs felt strong",
        "Still going strong! No pain, no pins and needles, no trouble with the waterworks",
        "Not a thing to report, I'm doing really well thanks to you all",
        "Doing great, been up the allotment digging potatoes all afternoon",
        "Nothing's changed, all good, cheers",
        "All fine, same as usual, nothing to worry about",
        "Absolutely fine. Slept like a log",
        "Yes all ok. My son is staying with me this week which is nice",
        "All well here, just got back from church",
        "I'm doing fine, no complaints. Enjoying the sunshine in the garden",
        "Everything is normal, thank you for asking",
        "Hello, no problems at all since last time, many thanks",
        "Nothing new, feeling pretty good actually",
        "I'm very well thanks, appetite's back and I'm sleeping better",
        "All quiet on the western front 😄",
        "Nowt to report, ta",
        "Aye fine",
        "fine as ever, pet",
        "Hiya, all champion here, just been for a paddle",
        "I'm grand, thanks for asking, the back's been great since the radiotherapy",
        "Legs working, back fine, wee fine, poo fine!",
        "No problems with my back or legs, walking the dog every day",
        "I'm good, went swimming yesterday and felt great",
        "All tickety boo, thanks",
        "Feeling brighter today, no new problems",
        "ok thank u",
        "Received, thanks. All well",
        "Got your message, I'm fine",
        "Mum says she's fine and sends her thanks",
        "This is her daughter, mum's had a good week, no new problems",
        "My husband is doing well, no issues to report",
        "dad ok, nothing new, eating and walking fine",
        "Hi it's John's wife, he's fine, no problems",
        "Not much to tell, feeling like my old self",
        "Never felt better to be honest",
        "couldn't be better",
        "Can't complain!",
        "mustn't grumble",
        "not bad at all ta",
        "Still kicking! All good",
        "Same old same old, all fine",
        "no new aches or pains, all good thanks",
        "all good, no weakness or numbness, bladder fine",
        "fine no tingling no numbness",
        "I'm fine. My wife has a bad cold though",
        "All good with me, my husband's had a chest infection but he's on antibiotics",
        "sorry for the late reply, all ok here",
        "Fine, thanks for the reminder",
        "all good see you thursday",
        "yes all good x",
    ],
}
CASES = [(kind, text) for kind, texts in ALL_WELL_BY_KIND.items() for text in texts]


@pytest.mark.parametrize(("kind", "text"), CASES, ids=[f"{k}: {t[:40]}" for k, t in CASES])
def test_an_all_well_reply_of_this_kind_is_shown_none(kind: str, text: str) -> None:
    result = triage(text)
    assert result.label == Label.NONE, result.evidence["reason"]


@pytest.mark.parametrize(
    "text",
    [
        "legs felt strong today but my feet are numb",
        "appetite's back, though I can't feel my toes",
        "feeling like my old self apart from the legs giving way",
        "shob thik ache, kintu payer obosh",
        "nothing new going on with my legs, they've gone numb",
        "nothing new to report. Legs numb",
        "walked there on foot but my legs gave way on the way back",
        "la toaletă nu mai controlez nimic",
        "nogi mam słabe od rana",
        "kojos silpsta",
        "lugaha waa daciif",
        "picioarele sunt slabe",
    ],
)
def test_the_new_all_well_phrases_never_hide_a_symptom_beside_them(text: str) -> None:
    assert triage(text).label == Label.RED, triage(text).evidence["reason"]


EFFECTS = (
    "I need the walls to get about",
    "the stairs are beyond me now",
    "legs like jelly",
    "I keep dropping things",
    "wet myself twice",
    "my back is killing me",
    "can't feel my feet",
    "had to crawl up to bed",
    "my writing's gone to pot",
    "legs went from under me",
    "numb bum when I sit",
    "pins and needles in my hands",
    "my husband had to pick me up off the floor",
    "my feet feel like they're on gravel",
    "pain round my ribs like a belt",
)
JOINS = ("{well}. {effect}", "{well}, but {effect}", "{effect}. {well}")
ENGLISH_WELL = [t for k, t in CASES if "languages" not in k][::4]


@pytest.mark.parametrize("effect", EFFECTS)
def test_a_symptom_told_by_its_effect_beside_any_all_well_reply_is_never_none(
    effect: str,
) -> None:
    # a property over the all-well wordings above: the all-well never hides the symptom
    for well in ENGLISH_WELL:
        for join in JOINS:
            text = join.format(well=well, effect=effect)
            result = triage(text)
            assert result.label != Label.NONE, text
            assert result.label in (Label.RED, Label.AMBER) or result.review == "urgent", text
