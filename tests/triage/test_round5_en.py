"""Round 5: English all-well replies written by concept, from how people in the UK write (carers and
adult children, care-home staff notes, long chatty news of family, holidays and hospital visits,
dictated punctuation, an older person's formal letter, "no change"), never from a corpus row;
the same frames with one red or amber symptom inside, which must reach a person (H47)."""

from __future__ import annotations

import pytest

from messages.triage import triage
from schema.vocabulary import Label
from tests.triage.conftest import reaches_a_person_urgently

# all is well, so `none` is shown
ALL_WELL: list[str] = [
    "Mum's had a good week, eating well, out in the garden",
    "Dad's fine thanks, no problems, watching the cricket",
    "Hi it's her daughter, mum is doing well, nothing new to report",
    "Mum is fine thank you, she had her hair done yesterday and loved it",
    "Just to let you know Dad is fine, he's been pottering about in the shed",
    "This is John's son, he's doing really well, no concerns",
    "My husband is fine, no new symptoms, thanks for checking",
    "Writing for my wife, she's well, nothing to report",
    "Mum's been great this week, her appetite is back and she's sleeping well",
    "Dad's in good spirits, all fine here",
    "Hi, Mum's doing ok, no change, thank you for the text",
    "Nan is fine, she says thank you for asking",
    "He's fine, no problems at all this week",
    "She's doing grand, no worries",
    "My mother is well thank you, we went out for lunch on Sunday",
    "Dad's all good, just enjoying having the grandkids round",
    "Mum says she's fine and sends her thanks",
    "All fine with mum, she's been baking with the grandchildren",
    "Husband here, he's well, nothing new, cheers",
    "Hello, I look after my father, he is fine, no changes",
    "Resident settled, no concerns, ate well",
    "No concerns from staff, resident eating and drinking well",
    "Resident had a settled night, no issues to report",
    "All fine, resident in good spirits today, no concerns raised",
    "Care home here, Mrs Jones is well, no changes noted",
    "Staff report no concerns, she has had a good day",
    "Settled day, ate all of lunch, no concerns",
    "No change in resident, all observations normal",
    "Resident well, slept through, breakfast eaten",
    "Senior carer here, no new concerns, he's had a good week",
    "Resident is well and happy, joined in with the activities this afternoon",
    "Nurse on duty, resident comfortable and settled, nothing to report",
    "Hello, all fine here thanks. We had a lovely weekend, my daughter came up from London "
    "with the kids and we had a roast on Sunday",
    "Everything is fine thank you. Just back from a week in Cornwall, the weather was lovely "
    "and we ate far too much",
    "All good, thanks for asking. Went to the hospital on Tuesday for my bloods and they "
    "said everything looked fine",
    "I'm fine, had my appointment with the consultant and it went well, nothing to worry about",
    "Doing well thanks, my granddaughter got married on Saturday, it was a wonderful day",
    "No problems at all, been busy with the allotment and the tomatoes are coming on nicely",
    "All fine here, we've had the builders in all week so it's been a bit chaotic but I'm well",
    "Fine thanks love, just had a cup of tea and a natter with my neighbour",
    "Everything's ok, been to my sister's for a few days, lovely to see her",
    "Good thanks, the hospital visit went fine and the nurses were lovely",
    "All well, spent the weekend at the caravan, weather was awful but we had fun",
    "Fine thank you, my son's taking me to the seaside next week",
    "Hi there, I'm keeping well, the dog had to go to the vet but she's fine now",
    "I'm good thanks, busy week with the grandchildren over half term",
    "All fine, been to church this morning and then the pub for lunch",
    "Nothing to report, had a quiet week, watched a lot of telly",
    "I am well, thank you. My husband and I celebrated our anniversary yesterday",
    "Really well thanks, just got back from my holiday in Spain",
    "all fine thanks full stop",
    "I'm fine comma nothing new full stop",
    "everything is good thank you full stop",
    "no problems comma all good",
    "fine thanks, just to say all good",
    "all well here full stop thank you",
    "Dear Sir or Madam, I am pleased to report that I am keeping well. Yours sincerely",
    "Thank you for your enquiry. I am in good health and have nothing further to report",
    "Good morning. I wish to confirm that I am well. Kind regards",
    "Many thanks for your message. All is well with me at present",
    "I am very well, thank you kindly for asking",
    "Dear nurse, I have no new complaints. With best wishes",
    "Thank you. I am quite well and have no problems to report at this time",
    "Good afternoon, I am pleased to say there is nothing new to report. Regards",
    "I remain well, thank you for your continued care",
    "Thank you for your text. I am fine and in good spirits",
    "no change",
    "No change thanks",
    "no change here",
    "No changes to report",
    "nothing has changed",
    "No change, all fine",
    "same as usual thanks",
    "No change from last week",
    "all the same as before, fine",
    "nothing different, all good",
    "Still the same, all fine thanks",
    "nowt new, all good",
    "same old, all fine",
    "no news is good news, all fine",
    "Nothing to report, no change",
    "Fine thanks, cheers for checking in",
    "All good here, have a lovely weekend",
    "Grand thanks, hope you're well",
    "All's well, ta",
    "Everything's tickety-boo thanks",
    "Champion thanks",
    "Fit as a fiddle, thank you",
    "All good, no probs",
    "Hiya, mums been really good this week, shes been up and about and even went to bingo on "
    "thursday",
    "Dad is doing fine, we took him to the garden centre for a coffee and a scone",
    "All good with dad, he's had his tea and he's watching the footy",
    "Hi, this is Pat's daughter. Mum's doing great, no worries at all, thanks for keeping an eye",
    "My wife is keeping well, thank you, she sends her regards",
    "Mum's been champion, she's been to the hairdressers and out for fish and chips",
    "Everything fine with my husband, he's been busy in the garden cutting the hedge",
    "hi love mum says she's fine and not to worry x",
    "She's grand, had the family round for Sunday dinner",
    "Dad's had a good few days, he's been chatty and cheerful",
    "Resident has had a good night, no concerns overnight",
    "Good morning, staff have no concerns about Mr Smith today",
    "Resident remains well, eating and drinking, in good spirits",
    "No concerns to report from the home, she's had visitors today and enjoyed it",
    "Mrs Khan is well, no change in her condition",
    "Resident content, no issues, family visited this afternoon",
    "Hello, yes I'm fine, we've just come back from visiting my brother in Scotland, long "
    "drive but lovely to see everyone",
    "Not a bad week at all, my grandson passed his driving test and took me out for a spin",
    "Everything is fine, the weather has been glorious so we've been having barbecues",
    "All fine, went to the hospital for my scan, no dramas, the staff were wonderful",
    "Hi yes all good, bit of a busy one with work but no problems health wise",
    "Honestly I'm feeling great, best I've felt in ages",
    "Lovely to hear from you, I'm doing fine, enjoying the sunshine",
    "Keeping well thank you, the Macmillan nurse came yesterday and was very happy with me",
    "Fine thanks, just waiting for the plumber to turn up",
    "All good, had a lovely christmas with the family, hope you did too",
    "Happy new year, all fine with me",
    "Yes fine thank you dear",
    "I am keeping well thank you. I trust you are well also",
    "With thanks, I can report that there is no change in my condition",
    "Thank you for asking after me. I am getting along very well",
    "No changes whatsoever, thank you",
    "No change since last time",
    "Same as last week, all fine",
    "nothing new to add since my last message",
    "all fine thanks, nothing new to report, full stop",
    "no new symptoms full stop thank you for checking",
    "all ok thanks x",
    "Fine ta, ta-ra",
    "All good mate cheers",
    "Im fine thanx",
    "evrything ok thank u",
    "yep all good",
    "All good, thank you for looking after me",
    "Very well thank you, God bless",
    "Fine thanks, keeping busy",
    "Mum's absolutely fine, she's been to the day centre as usual",
    "All fine, we've been away to the Lakes for a week, stayed in a lovely cottage",
    "Im good thanks hun, been to the cinema with my sister",
    "Mum's fine, she's been to her knit and natter group",
    "Dad's fine, he had his hearing aid fitted and he's chuffed with it",
    "All good, my daughter's expecting her first baby so we're all excited",
    "Yes I'm fine thanks, had a lovely birthday, 80 not out",
    "Fine, the district nurse came and said all was well",
    "Well thank you, just been to the shops with my husband for a bit of shopping",
    "All well. Went to my grandson's graduation, very proud",
    "Nothing new, just the usual, thanks for asking",
    "Fine and dandy",
    "All good this end, speak soon",
    "I'm fine, had a lovely week, hope you're all well at the hospital",
    "Thank you for checking on me, everything is as it should be",
    "Mum's fine, she's been watching Strictly and doing her crosswords",
    "Hi its his wife, he's been fine, eating like a horse",
    "My father is in good health and sends his thanks",
    "Resident well, attended the coffee morning, no concerns",
    "Good evening, no change with mum, she's comfortable and happy",
    "Everything's fine, we're off to Blackpool next week for the illuminations",
    "Fine thanks, just had my hair cut",
    "All fine, had a lovely roast at the pub with the family",
    "Doing fine thanks, the sun's out and I've got the washing on the line",
    "Hi its Sue, mums daughter, shes fine, had a lovely day at the seaside with the "
    "grandkids, fish and chips on the prom",
    "Dad's been on great form, beat me at dominoes twice",
    "He's been absolutely fine, the usual grumbles about the telly",
    "Mum had her hospital check yesterday and they were pleased with her",
    "My husband is doing well, he's back at the bowls club",
    "She is very well in herself, thank you for asking",
    "Dad is fine in himself, bright and chatty",
    "Resident in good form today, no concerns from the team",
    "Handover: no concerns overnight, resident slept well",
    "Night staff report a settled night, resident well",
    "All fine, daughter visited, resident in good spirits",
    "Had a fab time at my niece's hen do, all good here",
    "Hello dear, I'm fine, it's been raining all week so I've been reading",
    "Fine thanks, had a lovely lunch with the girls from church",
    "All ok here, the grandkids have been running me ragged but it's lovely",
    "Good thank you, my son and his family are staying for the week",
    "Everything's good, just got back from the GP for my flu jab",
    "I'm all right thanks, been to the library and done my shopping",
    "No problems thanks, been on the phone to my sister in Australia",
    "Thank you for your kind message. I continue to keep well",
    "I am glad to report all is well. Thank you",
    "Further to your text, I have had no problems. Regards, Margaret",
    "Very kind of you to ask. I am fine",
    "No change my end, all well",
    "Nothing's changed, still fine",
    "As you were, all fine",
    "Same as ever, no complaints",
    "No different to last time, all good",
    "Fine as always, thanks",
    "all fine thanks new line have a good day",
    "I'm fine exclamation mark thanks for asking",
    "all good here comma just been busy full stop",
    "Its all gud thanx",
    "All fine cheers pal",
    "Resident comfortable, diet and fluids taken, no concerns",
    "No concerns today, obs stable",
    "Observations within normal limits, resident settled",
    "Resident well, good oral intake, no concerns raised by staff",
    "Evening, mum's been fine today, had a good chinwag with her friend",
    "He's been fine, the physio came and was happy with him",
    "Dad's doing alright, had a pint at the pub with his mates",
    "Doing fine, my daughter took me for afternoon tea for my birthday",
    "Nothing to worry about here, all tickety boo",
]

# the same frames with one red or amber symptom inside
WITH_A_SYMPTOM: list[str] = [
    "Mum's had a good week, eating well, but her legs have gone weak",
    "Dad's fine thanks, watching the cricket, says his feet are numb",
    "Mum is doing well, she's had tingling in her hands though",
    "My husband is fine, just a bit of pain in his upper back",
    "He's fine, no problems, except he wet himself last night and didn't notice",
    "Mum's in good spirits but she fell because her legs gave way",
    "Resident settled, ate well, new back pain reported by staff",
    "Resident settled, no concerns, unable to stand this morning",
    "No concerns, ate well, resident incontinent of urine which is new",
    "Resident had a settled night, complaining of pins and needles in both feet",
    "All fine, resident eating well, says her legs feel heavy",
    "All fine here thanks, lovely weekend, but my back pain is keeping me awake at night",
    "Everything is fine thank you, just back from Cornwall, my legs have been numb since Tuesday",
    "All good, went for my bloods, but I can't pass water properly",
    "Doing well thanks, granddaughter got married, though I've had pain like a band round my chest",
    "No problems at all, been on the allotment, but my legs keep giving way",
    "Fine thanks love, just a bit of numbness down below when I wipe",
    "all fine thanks full stop my feet are numb full stop",
    "I'm fine comma back pain getting worse full stop",
    "Dear Sir or Madam, I am keeping well, though I have a new pain in my neck. Yours sincerely",
    "Thank you for your enquiry. I am in good health apart from some weakness in my legs",
    "I am very well, thank you, but I have lost control of my bowels",
    "no change, still numb in my legs",
    "No change thanks, legs still weak",
    "Same as usual, apart from the back pain waking me up",
    "Nothing to report except tingling in my fingers",
    "Mum's fine, she's been dropping cups though",
    "Dad's well, just needs the walls to get about now",
    "All good here, only my back hurts when I cough",
    "Resident well, slept through, now needs frame which is new, legs weak",
    "Hi it's her daughter, mum is doing well but she can't feel her feet",
    "Hiya, mums been really good, but she keeps wetting herself and doesn't know",
    "Dad is doing fine, took him to the garden centre, he needed the wheelchair as his legs went",
    "All good with dad, but he says it's like an electric shock down his leg",
    "Resident remains well, but staff note new difficulty standing",
    "Resident has had a good night, though reports tingling in both hands",
    "Mrs Khan is well, but she has had two falls today",
    "I'm well thanks, been helping my daughter move, but now I can't feel my feet",
    "Keeping well thank you, the nurse came, my back is agony at night though",
    "Honestly I'm feeling great, apart from my legs feeling like jelly",
    "I am keeping well thank you. I have noticed some numbness in my bottom",
    "no new symptoms full stop except I can't wee",
    "Mum's absolutely fine, she's been to the day centre, they said she was unsteady",
    "All fine, we've been away to the Lakes, but I've had pins and needles in my feet since",
    "Mum's fine, she's been to her group, but she's had a couple of accidents with her bladder",
    "Fine, the district nurse came, she thinks my leg is weaker",
    "Resident was seen by the GP, new pain between shoulder blades",
    "Good evening, no change with mum, except she can't lift her arms",
    "Fine thanks, just had my hair cut, my back's been killing me though, worse when I sneeze",
    "Dad's been on great form, but he's been dribbling urine and not noticing",
    "Mum had her hospital check yesterday, they were pleased, but tonight she says her legs "
    "are numb",
    "She is very well in herself, but her back hurts at night",
    "Handover: no concerns overnight apart from resident unable to weight bear this morning",
    "Had a fab time at the hen do, though I've had shooting pains down my arm",
    "No change my end, except I keep dropping things",
    "Same as ever, no complaints, only my legs are getting heavier",
    "all fine thanks new line my legs gave way this morning",
    "Resident comfortable, diet and fluids taken, new urinary incontinence",
    "No concerns today, obs stable, c/o numb feet",
    "He's been fine, the physio came, she thinks his legs are weaker",
    "Obs stable, but resident unable to stand this morning",
]

# a care home's note that the resident needs two staff to move is weakness told by its effect
NEEDS_TWO_TO_MOVE: list[str] = [
    "Staff report she had a good day, but she is now needing two to transfer",
    "Resident settled, needs 2 to stand this morning",
    "No other concerns, he now takes two to transfer",
]

# a walking aid told as usual is an existing state, not a new symptom, but it is the body told
# in words triage cannot date: a person reads it urgently, never `none` (LABELS.md rule 7)
WALKING_AID_AS_USUAL: list[str] = [
    "Resident settled, no concerns, ate well, mobilising as usual with frame",
    "Dad's fine, getting about with his stick as normal",
    "All good, using the walking frame like always",
]

# "well" before a word is British for "very": never the all-well "is well"
WELL_AS_VERY: list[str] = [
    "my leg is well swollen",
    "her back is well sore",
    "his legs are well weak",
    "dad is well and truly stuck",
    "he is well stuck in his chair",
]


@pytest.mark.parametrize("text", ALL_WELL)
def test_an_everyday_english_all_well_reply_is_shown_none(text: str) -> None:
    result = triage(text)
    assert result.label == Label.NONE, result.evidence


@pytest.mark.parametrize("text", WITH_A_SYMPTOM)
def test_an_all_well_frame_with_a_symptom_inside_reaches_a_person_urgently(text: str) -> None:
    result = triage(text)
    assert reaches_a_person_urgently(result), result.evidence


@pytest.mark.parametrize("text", NEEDS_TWO_TO_MOVE)
def test_needing_two_to_transfer_or_stand_is_red(text: str) -> None:
    result = triage(text)
    assert result.label == Label.RED, result.evidence


@pytest.mark.parametrize("text", WALKING_AID_AS_USUAL)
def test_a_walking_aid_told_as_usual_is_never_none(text: str) -> None:
    result = triage(text)
    assert result.label != Label.NONE, result.evidence
    assert reaches_a_person_urgently(result), result.evidence


@pytest.mark.parametrize("text", WELL_AS_VERY)
def test_well_as_an_intensifier_is_never_read_as_all_well(text: str) -> None:
    result = triage(text)
    assert result.label != Label.NONE, result.evidence


# a return to a place or a pastime is no back; the back hurt there, or placed, still is
BACK_AT_A_PLACE: list[tuple[str, Label]] = [
    ("My husband is doing well, he's back at the bowls club", Label.NONE),
    ("All fine, she's back at church on Sundays", Label.NONE),
    ("I'm fine, we're back at the allotment most days", Label.NONE),
    ("hurt my back at the gym", Label.AMBER),
    ("pain in my back at the bottom", Label.AMBER),
    ("he is back at work but his back hurts", Label.AMBER),
]


@pytest.mark.parametrize(("text", "label"), BACK_AT_A_PLACE)
def test_back_at_a_place_is_a_return_never_the_back(text: str, label: Label) -> None:
    result = triage(text)
    assert result.label == label, result.evidence
