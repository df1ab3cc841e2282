"""triage(): read one reply and label it (messages/triage/LABELS.md). Never raises: a reply it
cannot read goes to a person.

The steps: keywords; our own quoted text stripped; the rule reader (lexicon, context, whose
symptom, coverage); the second reader, which may raise the label and never lowers it; the
language check, which sends a reply in a language the trust does not serve to urgent review.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from messages.triage.context import Cue, Finding, apply_context, quote, select_cues
from messages.triage.coverage import account, names_in
from messages.triage.keywords import keyword_of
from messages.triage.known_words import english_words
from messages.triage.labeller import Reading, decide
from messages.triage.language import LanguageGuess, has_other_script, identify, preload_detector
from messages.triage.loader import (
    Lexicon,
    lexicon_languages,
    load_lexicon,
    normalise_languages,
    own_words,
    read_with_english,
)
from messages.triage.normalise import BOUNDARY, MAX_CHARS, QUESTION, script_punctuation, tokenise
from messages.triage.patterns import Hit
from messages.triage.quotes import strip_quotes
from messages.triage.result import TriageResult
from messages.triage.second_reader import SecondReader, load_second_reader
from messages.triage.spelling import Speller
from messages.triage.subjects import other_people
from schema.vocabulary import Label, Review

DEFAULT_LANGUAGES = lexicon_languages()


@dataclass(frozen=True)
class Prepared:
    lexicon: Lexicon
    speller: Speller
    known: frozenset[str]
    reader: SecondReader | None


@lru_cache(maxsize=16)
def _prepared(languages: tuple[str, ...]) -> Prepared:
    lexicon = load_lexicon(languages)
    known = english_words()
    return Prepared(lexicon, Speller(lexicon, known), known, load_second_reader())


@dataclass(frozen=True)
class Plan:
    """How replies to one trust are read: its languages, English and the ones read with it
    (``base``), and the others, each read only when its words are found (``routed``)."""

    served: tuple[str, ...]
    base: Prepared
    routed: tuple[tuple[str, Prepared, frozenset[str]], ...]


def _plan(served: tuple[str, ...]) -> Plan:
    """Built on every call from cached parts (a few dictionary look-ups), so clearing
    ``_prepared`` or ``load_lexicon`` takes effect at once."""
    # the detector is loaded with the first plan, so a worker that warms triage up before it
    # forks (worker/app.py: triage("warming up", languages)) shares it with its children
    preload_detector()
    together = read_with_english()
    base = _prepared(tuple(c for c in served if c == "en" or c in together))
    routed = tuple(
        (code, _prepared(("en", code)), own_words(code))
        for code in served
        if code != "en" and code not in together
    )
    return Plan(served, base, routed)


def preload(languages: Sequence[str] = DEFAULT_LANGUAGES) -> None:
    """Load everything triage reads for these languages now: lexicons, the English word list,
    the second reader and the language detector. The worker calls it before forking, so its
    children share the memory and no reply pays for the loading."""
    _plan(normalise_languages(languages))
    triage("warming up", languages)


def triage(
    text: str, languages: Sequence[str] = DEFAULT_LANGUAGES, *, sent: Sequence[str] = ()
) -> TriageResult:
    """Label one SMS reply: red, amber, none, unclear, stop, start or help, with the evidence and,
    for `unclear`, the review urgency. ``sent``: the texts the service recently sent this patient,
    whose quotation in the reply is not read as the patient's words."""
    # a broken lexicon is a deployment error and raises here, loudly, not per reply
    plan = _plan(normalise_languages(languages))
    try:
        return _triage(text if isinstance(text, str) else str(text), plan, tuple(sent))
    except Exception as exc:
        return TriageResult(
            label=Label.UNCLEAR,
            evidence={"reason": "triage failed: needs a person", "error": type(exc).__name__},
            review=Review.URGENT,
        )


def rules_only(text: str, languages: Sequence[str] = DEFAULT_LANGUAGES) -> TriageResult:
    """What the rule reader alone makes of a reply (training and measuring use it)."""
    return _triage(text, _plan(normalise_languages(languages)), (), second_reader=False)


def _overlap(a: Hit, b: Hit) -> bool:
    return a.start < b.end and b.start < a.end


def _cancels(exception: Hit, hit: Hit) -> bool:
    """A ``not_if`` cancels a symptom it overlaps, or, when it marks a focus, only a symptom whose
    own words include the focus: "the pain is ^back" cancels that 'back', not "back pain"."""
    if exception.focus:
        return any(s <= i < e for s, e in exception.focus for i in hit.literal)
    return _overlap(exception, hit)


def _triage(
    text: str, plan: Plan, sent: tuple[str, ...], *, second_reader: bool = True
) -> TriageResult:
    base = plan.base
    keyword = keyword_of(text, base.lexicon.keywords)
    if keyword is not None:
        return TriageResult(
            label=Label(keyword), evidence={"reason": f"keyword {keyword}", "keyword": text.strip()}
        )
    stripped = strip_quotes(text, sent)
    truncated = len(text) > MAX_CHARS
    reading = read(stripped.text, base, truncated=truncated)
    prepared = base
    routed_to: str | None = None
    if (
        reading.unknown
        and plan.routed
        and (reading.result.label != Label.RED or _inferred_only(reading.result))
    ):
        # the languages whose words the reply holds, most first; the one that leaves the fewest
        # words unread is the one it is read in (romanised Urdu and Punjabi share many words).
        # An amber reading is re-read too: Bengali "ache" is "is" ("shob thik ache"); English
        # is read with every language, so an English symptom is found in the re-reading as well
        unknown = set(reading.unknown)
        ranked = sorted(
            ((len(unknown & words), code, p) for code, p, words in plan.routed if unknown & words),
            key=lambda x: -x[0],
        )
        # the languages holding the most of its words, and any within one word of them
        ranked = [r for r in ranked if r[0] >= ranked[0][0] - 1][:ROUTED_TRIES] if ranked else []
        best = (len(reading.unknown), -reading.placed)
        for _, code, other in ranked:
            second = read(stripped.text, other, truncated=truncated)
            if (len(second.unknown), -second.placed) < best:
                reading, prepared, routed_to = second, other, code
                best = (len(second.unknown), -second.placed)
    result = reading.result
    if routed_to is not None:
        result = replace(result, evidence={**result.evidence, "read_as": routed_to})
    if stripped.removed:
        result = _with_quotes(result, stripped.removed, prepared)
    served = True
    share = len(reading.unknown) / max(reading.words, 1)
    # asked only when it could matter: a reply most of whose words nobody could read
    if share >= UNSERVED_SHARE or (reading.unknown and has_other_script(stripped.text)):
        guess = identify(stripped.text[:LANGUAGE_CHARS])
        result = replace(result, evidence={**result.evidence, "language": guess.to_evidence()})
        if guess.code not in (None, "en", *plan.served):
            served = False
            result = _unserved(result, guess)
    if second_reader and prepared.reader is not None:
        result = second_reading(
            result, stripped.text, prepared.reader, prepared.lexicon, served=served
        )
    return result


def _inferred_only(result: TriageResult) -> bool:
    """Red only by words the English reading could not place ("la toaleta totul e normal":
    a mention of the toilet among words it does not know), which the reply's own language may
    explain; English is read with it, so an English symptom is found again."""
    present = [
        f
        for f in result.evidence.get("findings", ())
        if "symptom" in f and f.get("status") == "present"
    ]
    return bool(present) and all(
        any(marker in str(f.get("pattern", "")) for marker in INFERRED_PATTERNS) for f in present
    )


# the patterns coverage.py gives the symptoms it infers from unplaced mentions
INFERRED_PATTERNS = ("two mentions in one sentence", "described in words it cannot place")
# languages tried, most words found first: romanised Urdu, Punjabi, Bengali and Gujarati share
# words ("theek"), so all four are tried when they tie
ROUTED_TRIES = 4
LANGUAGE_CHARS = 300  # the detector reads the start of a long reply: enough to tell
# the share of a reply's words no vocabulary knows from which a detected language counts
UNSERVED_SHARE = 0.2


def _unserved(result: TriageResult, guess: LanguageGuess) -> TriageResult:
    """A reply in a language the trust does not serve: a person reads it, urgently."""
    if result.label in (Label.RED, Label.AMBER):
        return result  # English symptom words in it were read: the alert stands
    evidence = {**result.evidence}
    evidence["reason"] = (
        f"written in {guess.name}, which this trust's triage does not read: needs a person "
        f"urgently; {result.evidence.get('reason', '')}"
    )
    return TriageResult(Label.UNCLEAR, result.symptoms, evidence, Review.URGENT)


def second_reading(
    result: TriageResult, text: str, reader: SecondReader, lexicon: Lexicon, *, served: bool = True
) -> TriageResult:
    """The second reader may raise the label (to red) or the review (to urgent); never lower.
    A `none` the rules showed (every word accounted for) is at most sent to urgent review; a reply
    in a language the trust does not serve stays with the person who reads it (urgent review)."""
    if result.label in (Label.RED, Label.STOP, Label.START, Label.HELP):
        return result
    opinion = reader.read(text, lexicon.emoji)
    chosen = reader.thresholds
    evidence: dict[str, Any] = {**result.evidence, "second_reader": opinion.to_evidence()}
    rules = f"rules read it as {result.label}: {result.evidence.get('reason', '')}"
    if result.label == Label.NONE:
        if opinion.p_alert < chosen.none_urgent:
            return replace(result, evidence=evidence)
        evidence = {**evidence, "second_reader": opinion.to_evidence(explained=True)}
        evidence["reader"] = "second reader"
        evidence["reason"] = (
            f"second reader: reads like a red or amber symptom (P(alert) {opinion.p_alert:.2f}, "
            f"from {', '.join(opinion.alert_because)}); needs a person urgently; {rules}"
        )
        return TriageResult(Label.UNCLEAR, result.symptoms, evidence, Review.URGENT)
    # a red symptom the rules set aside as asked about or someone else's is already read
    # urgently; the letters of "legs ... weak" in a question are no reason to overrule that
    set_aside = result.review == Review.URGENT and (
        result.evidence.get("hypothetical") or result.evidence.get("other_person")
    )
    if opinion.p_red >= chosen.red and served and not set_aside:
        evidence = {**evidence, "second_reader": opinion.to_evidence(explained=True)}
        evidence["reader"] = "second reader"
        evidence["reason"] = (
            f"second reader: reads like an MSCC symptom (P(red) {opinion.p_red:.2f}, "
            f"from {', '.join(opinion.red_because) or 'the whole reply'}); {rules}"
        )
        return TriageResult(Label.RED, result.symptoms, evidence)
    routine = result.label == Label.UNCLEAR and result.review == Review.ROUTINE
    if routine and opinion.p_alert >= chosen.urgent:
        evidence = {**evidence, "second_reader": opinion.to_evidence(explained=True)}
        evidence["reader"] = "second reader"
        evidence["reason"] = (
            f"second reader: reads like a red or amber symptom (P(alert) {opinion.p_alert:.2f}, "
            f"from {', '.join(opinion.alert_because) or 'the whole reply'}); needs a person "
            f"urgently; {rules}"
        )
        return TriageResult(Label.UNCLEAR, result.symptoms, evidence, Review.URGENT)
    return replace(result, evidence=evidence)


def _with_quotes(
    result: TriageResult, removed: tuple[str, ...], prepared: Prepared
) -> TriageResult:
    evidence: dict[str, Any] = {**result.evidence, "quoted_ours": list(removed)}
    if result.label != Label.UNCLEAR or result.review == Review.URGENT:
        return replace(result, evidence=evidence)
    if result.evidence.get("needs_person"):
        return replace(result, evidence=evidence)  # a question of its own: read as asked
    # a quotation of our symptom list, with words of the patient's own that are not all-well
    # ("I have: numbness, weakness or trouble using arms or legs"), is read by a person at once
    quoted = read(" . ".join(removed), prepared, truncated=False).result
    if quoted.label in (Label.RED, Label.AMBER):
        evidence["reason"] += "; urgent: our own symptom list quoted with words of the patient's"
        return replace(result, evidence=evidence, review=Review.URGENT)
    return replace(result, evidence=evidence)


def read(text: str, prepared: Prepared, *, truncated: bool) -> Reading:
    """The rule reader: findings, their context, whose they are and what is left unexplained."""
    lexicon, speller = prepared.lexicon, prepared.speller
    norms, surfaces, spelling = speller.tokens(*tokenise(script_punctuation(text), lexicon.emoji))
    # a full stop before and after, so patterns can say "at the start of a sentence" (". who")
    norms = [BOUNDARY, *norms, BOUNDARY]
    surfaces = ["", *surfaces, ""]
    found = lexicon.matcher.find(norms)
    excluded = found["not_if"]
    hits = [
        hit
        for code in lexicon.symptoms
        for hit in found[f"symptom:{code}"]
        if not any(x.tag == hit.tag and _cancels(x, hit) for x in excluded)
    ]
    findings = [Finding("symptom", hit) for hit in _outermost(hits)]
    findings += [Finding("qualifier", h) for h in _outermost(found["qualifiers"])]
    findings += [Finding("all_well", h) for h in _outermost(found["all_well"])]
    findings += [Finding("needs_person", h) for h in _outermost(found["needs_person"])]
    findings += [Finding("neutral", h) for h in _outermost(found["neutral"])]
    # everyday news that asks nothing of a person ("back from my holidays", "had my flu jab"):
    # its words are accounted for, and a reason for a person inside it goes, but it is no all-well
    findings += [Finding("small_talk", h) for h in _outermost(found["small_talk"])]
    findings = [
        Finding("all_well", _inside_sentence(f.hit, norms, lexicon.boundaries))
        if f.kind == "all_well"
        else f
        for f in _drop_contained(findings)
    ]
    _denied_by_all_well(findings, surfaces)
    joints = {(h.start, h.end) for h in found["body"] if h.tag == "joint"}
    mentions = [
        Finding("body", h)
        for h in _outermost(found["body"])
        if not (h.tag == "limb" and (h.start, h.end) in joints)  # a knee is a joint first
    ]
    cues = select_cues(found["cues"], lexicon)
    apply_context(norms, surfaces, findings + mentions, cues, lexicon)
    _doubted_denials(norms, surfaces, findings, cues, lexicon)
    stops = {i for c in cues if c.kind.type == "terminate" for i in range(c.hit.start, c.hit.end)}
    roles = other_people(
        norms, findings + mentions, found["subjects"], found["roles"], stops, lexicon
    )
    coverage = account(
        names_in(text),
        norms,
        surfaces,
        findings,
        cues,
        [*found["subjects"], *found["roles"], *excluded],
        mentions,
        lexicon,
        prepared.known,
    )
    findings += [Finding("symptom", hit) for hit in coverage.pairs]
    extra: dict[str, object] = {}
    if spelling:
        extra["spelling"] = spelling
    if roles:
        extra["people"] = roles
    return decide(
        findings,
        norms,
        surfaces,
        lexicon,
        coverage,
        mentions=mentions,
        sender_well=any(h.tag in ("self_well", "relative_well") for h in found["roles"]),
        # cues and exceptions ("back and forth"), but a doubt is news, not an explanation:
        # "fine except I can't tell if I've been"
        explained={
            i
            for c in cues
            if c.kind.type not in ("uncertain", "hedge", "hypothetical")
            for i in range(c.hit.start, c.hit.end)
        }
        | {i for x in excluded for i in range(x.start, x.end)},
        question=QUESTION in norms and _asks(norms, findings),
        truncated=truncated,
        extra=extra,
    )


def _inside_sentence(hit: Hit, norms: Sequence[str], boundaries: frozenset[str]) -> Hit:
    """An all-well that a pattern ties to the ends of its sentence ("Numbness? No.") without the
    full stops: no cue reaches over them through it into the next sentence."""
    start, end = hit.start, hit.end
    while end - start > 1 and norms[end - 1] in boundaries:
        end -= 1
    while end - start > 1 and norms[start] in boundaries:
        start += 1
    return hit if (start, end) == (hit.start, hit.end) else replace(hit, start=start, end=end)


def _doubted_denials(
    norms: Sequence[str],
    surfaces: Sequence[str],
    findings: Sequence[Finding],
    cues: Sequence[Cue],
    lexicon: Lexicon,
) -> None:
    """A denial the patient doubts in its own sentence ("not sure I haven't had any symptoms",
    "I can't say nothing hurts", "no change, not sure though") is no denial: uncertain."""
    doubts = [
        c
        for c in cues
        if c.kind.type in ("uncertain", "pseudo")
        and lexicon.doubting & set(norms[c.hit.start : c.hit.end])
    ]
    if not doubts:
        return
    sentence, sentences = 0, []
    for token in norms:
        sentences.append(sentence)
        sentence += token in lexicon.boundaries
    denying = lexicon.denying | lexicon.verbal_negations
    doubting_first = [c for c in doubts if c.kind.type == "pseudo"]  # "not sure", "not certain"
    for finding in findings:
        # "not sure there's no numbness": a denial after "not sure" in its sentence is doubted
        if finding.kind == "symptom" and "negated" in finding.modifiers:
            here = sentences[finding.hit.start]
            for cue in doubting_first:
                if sentences[cue.hit.start] == here and cue.hit.end <= finding.hit.start:
                    finding.modifiers.setdefault("uncertain", quote(surfaces, cue.hit))
                    break
            continue
        if finding.kind not in ("all_well", "neutral") or "uncertain" in finding.modifiers:
            continue
        words = norms[finding.hit.start : finding.hit.end]
        if finding.tag != "unchanged" and not denying & set(words):
            continue
        here = sentences[finding.hit.start]
        for cue in doubts:
            if sentences[cue.hit.start] == here and not (
                finding.hit.start <= cue.hit.start < finding.hit.end
            ):
                doubt = quote(surfaces, cue.hit)
                finding.modifiers["uncertain"] = doubt
                for inner in findings:  # the symptom it denied is doubted too: "numb"
                    if (
                        inner.kind == "symptom"
                        and finding.hit.start <= inner.hit.start
                        and (inner.hit.end <= finding.hit.end)
                    ):
                        inner.modifiers.setdefault("uncertain", doubt)
                break


def _asks(norms: Sequence[str], findings: Sequence[Finding]) -> bool:
    """A question mark outside our own questions answered as a form ("Numbness? No.") and a
    greeting asked back ("Alright? All good")."""
    answered = {
        i
        for f in findings
        if f.kind in ("all_well", "small_talk")
        for i in range(f.hit.start, f.hit.end)
    }
    return any(token == QUESTION and i not in answered for i, token in enumerate(norms))


def _denied_by_all_well(findings: list[Finding], surfaces: list[str]) -> None:
    """A symptom inside an all-well phrase is denied by it: "no new pain", "pain free"."""
    well = [f.hit for f in findings if f.kind == "all_well"]
    for finding in findings:
        if finding.kind != "symptom":
            continue
        for hit in well:
            if hit.start <= finding.hit.start and finding.hit.end <= hit.end:
                finding.modifiers.setdefault("negated", quote(surfaces, hit))


def _outermost(hits: list[Hit]) -> list[Hit]:
    """One finding per stretch of words and tag: the longest ("numbness in my feet", not also
    "numbness"), so a negation inside the longer phrase is not lost on a shorter one."""
    hits = sorted(hits, key=lambda h: (h.start, -h.end))
    kept: list[Hit] = []
    for hit in hits:
        if not any(k.tag == hit.tag and k.start <= hit.start and hit.end <= k.end for k in kept):
            kept.append(hit)
    return kept


def _drop_contained(findings: list[Finding]) -> list[Finding]:
    """An all-well phrase inside a longer reason for a person goes, and the other way round:
    "not feeling great" is not "feeling great"; "don't worry" is not "worry"."""
    kinds = ("all_well", "needs_person")

    def inside(small: Finding, big: Finding) -> bool:
        return (
            big.hit.start <= small.hit.start
            and small.hit.end <= big.hit.end
            and (big.hit.end - big.hit.start) > (small.hit.end - small.hit.start)
        )

    return [
        f
        for f in findings
        if not (
            f.kind == "needs_person"
            and any(g.kind == "small_talk" and inside(f, g) for g in findings)
        )
        and (
            f.kind not in kinds
            or not any(g.kind in kinds and g.kind != f.kind and inside(f, g) for g in findings)
        )
    ]
