"""Issue 11: plain all-well replies in each non-English lexicon language, written for this test
from the language (not from any corpus row), as people text them: native script and romanised,
with typos and missing diacritics. Each is shown `none`; a reply beside them that mentions the
body never is."""

from __future__ import annotations

import pytest

from messages.triage import triage
from schema.vocabulary import Label, Review

ALL_WELL: dict[str, list[str]] = {
    "ar": [
        "الحمد لله كل شي تمام",
        "أنا بخير الحمد لله",
        "كل شيء على ما يرام، شكرا",
        "ما في شي جديد",
        "لا جديد، شكراً",
        "نفس الشي، ما في ألم",
        "لا توجد مشاكل، شكرا على السؤال",
        "تمام والحمد لله",
        "كله تمام",
        "بخير والحمد لله، شكرا لكم",
        "مافي اي مشكلة",
        "ana bkhair alhamdulillah",
        "kollo tamam shukran",
    ],
    "bn": [
        "ami bhalo achi, dhonnobad",
        "shob thik ache",
        "sob thik ase",
        "notun kichu nei",
        "kono somossa nei, dhonnobad",
        "kono byatha nei",
        "age jemon chilo temon i ache",
        "alhamdulillah bhalo achi",
        "ভালো আছি, ধন্যবাদ",
        "সব ঠিক আছে",
        "নতুন কিছু নেই",
        "kono problem nai",
    ],
    "cy": [
        "Dw i'n iawn, diolch",
        "dwin iawn diolch",
        "Popeth yn iawn",
        "Dim byd newydd",
        "dim newid",
        "Dim problem, diolch am ofyn",
        "yr un fath ag arfer, dim poen",
        "Da iawn diolch",
        "popeth yn dda",
        "dim problemau",
        "diolch byth, dw i'n iawn",
        "fel arfer, diolch",
    ],
    "gu": [
        "hu saru chu, aabhar",
        "badhu barabar che",
        "badhu saru che",
        "kai navu nathi",
        "koi taklif nathi",
        "koi dukhavo nathi",
        "pehla jevu j che",
        "majama chu",
        "હું સારું છું, આભાર",
        "બધું બરાબર છે",
        "કંઈ નવું નથી",
        "bhagwan ni daya thi badhu saru che",
    ],
    "lt": [
        "Viskas gerai, ačiū",
        "viskas gerai aciu",
        "Nieko naujo",
        "nieko naujo, aciu",
        "Jokių problemų",
        "jokiu problemu, aciu kad klausiate",
        "Niekas nepasikeitė",
        "kaip visada, neskauda",
        "Jaučiuosi gerai",
        "jauciuosi neblogai",
        "Viskas tvarkoj",
        "viskas normaliai",
        "ačiū Dievui, viskas gerai",
        "Be pokyčių",
    ],
    "pa": [
        "main theek haan ji",
        "sab theek hai ji",
        "sab vadhiya",
        "waheguru di kirpa naal sab theek",
        "koi navi gal nahi",
        "koi takleef nahi",
        "koi dard nahi",
        "shukriya ji, sab changa",
        "ਮੈਂ ਠੀਕ ਹਾਂ ਜੀ",
        "ਸਭ ਠੀਕ ਹੈ",
        "ਕੋਈ ਤਕਲੀਫ਼ ਨਹੀਂ",
        "changa haan ji, dhanvaad",
    ],
    "pl": [
        "Wszystko dobrze, dziękuję",
        "wszystko dobrze dziekuje",
        "Nic nowego",
        "nic nowego, dzieki",
        "Bez zmian",
        "bez zmian, nic nie boli",
        "Żadnych problemów, dziękuję za pytanie",
        "zadnych problemow",
        "Jak zwykle, bez bólu",
        "wszystko w normie",
        "czuje sie dobrze",
        "Wszystko ok, dzięki Bogu",
        "po staremu",
        "nie ma zmian",
    ],
    "pt": [
        "Tudo bem, obrigado",
        "tudo bem obrigada",
        "Nada de novo",
        "nada de novo, obrigado",
        "Sem problemas, obrigada por perguntar",
        "sem alteracoes",
        "Igual, sem dores",
        "Como sempre, sem dor",
        "Está tudo normal",
        "graças a Deus estou bem",
        "tudo tranquilo",
        "nenhuma novidade",
        "sinto-me bem",
    ],
    "ro": [
        "Sunt bine, mulțumesc",
        "sunt bine multumesc",
        "nimic nou",
        "Nimic nou, mulțumesc",
        "Fara probleme, multumesc ca ati intrebat",
        "nicio schimbare",
        "la fel ca de obicei, nu ma doare nimic",
        "totul e in regula",
        "Slavă Domnului, sunt bine",
        "ca de obicei",
        "totul normal",
        "ma simt bine",
        "nu s-a schimbat nimic",
        "toate bune",
    ],
    "so": [
        "Waan fiicanahay, mahadsanid",
        "waan fiicanahay mahadsanid",
        "wax walba waa fiican yihiin",
        "Waxba iskama beddelin",
        "wax cusub ma jiro",
        "dhibaato ma jirto",
        "xanuun ma jiro",
        "sidii hore",
        "Alxamdulillaah waan fiicanahay",
        "waan ladnahay",
        "mahadsanid, wax dhibaato ah ma jirto",
    ],
    "tr": [
        "İyiyim, teşekkürler",
        "iyiyim tesekkurler",
        "Her şey yolunda",
        "her sey yolunda",
        "Yeni bir şey yok",
        "yeni bir sey yok",
        "Sorun yok, sorduğunuz için teşekkürler",
        "Değişiklik yok",
        "degisiklik yok",
        "Her zamanki gibi, ağrı yok",  # noqa: RUF001 (Turkish dotless i)
        "herzamanki gibi agri yok",
        "Çok şükür iyiyim",
        "Allah'a şükür her şey iyi",
        "bir sikayetim yok",
    ],
    "ur": [
        "Main theek hoon, shukriya",
        "sab theek hai",
        "sab khairiyat hai",
        "koi nayi baat nahi",
        "kuch naya nahi",
        "koi masla nahi, poochne ka shukriya",
        "koi dard nahi",
        "pehle jaisa hi hai",
        "Alhamdulillah sab theek",
        "میں ٹھیک ہوں، شکریہ",
        "سب ٹھیک ہے",
        "کوئی نئی بات نہیں",
        "کوئی مسئلہ نہیں",
        "theek thaak hoon",
    ],
}

WELL_BUT_THE_BODY: dict[str, list[str]] = {
    "ar": [
        "أنا بخير بس رجلي ضعيفة",
        "كل شي تمام لكن ظهري يوجعني",
        "الحمد لله بس ما بحس برجلي",
        "تمام بس عندي تنميل في رجلي",
    ],
    "bn": [
        "ami bhalo achi kintu payer jor nei",
        "shob thik ache, shudhu komore byatha",
        "ভালো আছি কিন্তু পা অবশ লাগছে",
        "sob thik, kintu pa jhin jhin korche",
    ],
    "cy": [
        "dw i'n iawn ond mae fy nghoesau'n wan",
        "popeth yn iawn ond mae fy nghefn yn brifo",
        "dim byd newydd ond mae fy nhraed yn ddideimlad",
        "iawn diolch ond pinnau bach yn fy nwylo",
    ],
    "gu": [
        "hu saru chu pan pag ma kamjori che",
        "badhu barabar pan kamar ma dukhavo che",
        "બધું સારું છે પણ પગ સુન્ન લાગે છે",
        "majama pan pag ma jhanjhanati thay che",
    ],
    "lt": [
        "viskas gerai, bet kojos silpnos",
        "jauciuosi gerai, tik nugara skauda",
        "Viskas gerai, bet kojos tirpsta",
        "nieko naujo, tik kojos silpsta",
    ],
    "pa": [
        "main theek haan par lattan kamzor ne",
        "sab theek, bas kamar vich dard hai",
        "ਸਭ ਠੀਕ ਹੈ ਪਰ ਲੱਤਾਂ ਸੁੰਨ ਹਨ",
        "theek haan par pairan vich jhunjhuni",
    ],
    "pl": [
        "wszystko dobrze, ale nogi mam słabe",
        "bez zmian, tylko plecy bolą",
        "wszystko ok ale dretwieja mi nogi",
        "nic nowego, tylko nogi jak z waty",
    ],
    "pt": [
        "tudo bem mas as pernas estão fracas",
        "estou bem, só me dói as costas",
        "tudo bem mas tenho as pernas dormentes",
        "nada de novo, só formigueiro nas pernas",
    ],
    "ro": [
        "sunt bine dar picioarele sunt slabe",
        "totul e ok, doar ma doare spatele",
        "totul bine dar simt amorteala in picioare",
        "nimic nou, doar furnicaturi in picioare",
    ],
    "so": [
        "waan fiicanahay laakiin lugaha waa daciif",
        "wax walba waa fiican laakiin dhabarka ayaa i xanuunaya",
        "waan ladnahay laakiin lugahayga waa kabuubyo",
        "waan fiicanahay, lugaha ayaa i xanuunaya",
    ],
    "tr": [
        "iyiyim ama bacaklarım güçsüz",  # noqa: RUF001 (Turkish dotless i)
        "her şey yolunda ama belim ağrıyor",  # noqa: RUF001 (Turkish dotless i)
        "iyiyim ama bacaklarim uyusuyor",
        "yeni bir sey yok, sadece bacaklarda karincalanma",
    ],
    "ur": [
        "main theek hoon lekin tangon mein kamzori hai",
        "sab theek hai bas kamar mein dard hai",
        "سب ٹھیک ہے لیکن ٹانگیں سن ہیں",
        "theek hoon par pairon mein jhunjhunahat",
    ],
}

# "no change" or "the same" told of a part of the body is a state going on, never a denial of it;
# and postposed "nahi" before a verb ("dard nahi ja raha": the pain will not go) denies the verb
THE_BODY_UNCHANGED = [
    "ما في تغيير برجلي",
    "kono poriborton nei payer",
    "dim newid yn fy nghoesau",
    "koi fer nathi pag ma",
    "niekas nepasikeite kojose",
    "koi farak nahi lattan vich",
    "bez zmian w nogach",
    "sem alteracoes nas pernas",
    "nicio schimbare la picioare",
    "waxba iskama beddelin lugaha",
    "degisiklik yok bacaklarimda",
    "koi fark nahi tangon mein",
    "koi dard nahi ja raha kamar mein",
    "koi dard nahi jaanda",
]

WELL = [(lang, text) for lang, texts in ALL_WELL.items() for text in texts]
BODY = [(lang, text) for lang, texts in WELL_BUT_THE_BODY.items() for text in texts]
BODY += [("unchanged", text) for text in THE_BODY_UNCHANGED]


@pytest.mark.parametrize(("lang", "text"), WELL, ids=[f"{lang}: {t[:30]}" for lang, t in WELL])
def test_a_plain_all_well_reply_in_this_language_is_shown_none(lang: str, text: str) -> None:
    result = triage(text)
    assert result.label == Label.NONE, result.evidence["reason"]


@pytest.mark.parametrize(("lang", "text"), BODY, ids=[f"{lang}: {t[:30]}" for lang, t in BODY])
def test_an_all_well_reply_that_mentions_the_body_reaches_a_person_urgently(
    lang: str, text: str
) -> None:
    result = triage(text)
    reaches_urgently = result.label in (Label.RED, Label.AMBER) or (
        result.label == Label.UNCLEAR and result.review == Review.URGENT
    )
    assert reaches_urgently, (result.label, result.review, result.evidence["reason"])


def test_every_lexicon_language_has_its_all_well_wordings() -> None:
    assert set(ALL_WELL) == set(WELL_BUT_THE_BODY)
    assert len(ALL_WELL) == 12
    assert all(8 <= len(texts) <= 15 for texts in ALL_WELL.values())
    assert all(3 <= len(texts) <= 5 for texts in WELL_BUT_THE_BODY.values())


EFFECTS = (
    "my legs have gone weak",
    "can't feel my feet",
    "wet myself twice",
    "my back is killing me",
)
JOINS = ("{well}. {effect}", "{well}, but {effect}", "{effect}. {well}")


@pytest.mark.parametrize("effect", EFFECTS)
def test_a_symptom_beside_any_of_these_all_well_replies_is_never_none(effect: str) -> None:
    missed = [
        (text, result.label, result.review)
        for _, text in WELL
        for join in JOINS
        if (result := triage(join.format(well=text, effect=effect))).label == Label.NONE
        or (result.label == Label.UNCLEAR and result.review != Review.URGENT)
    ]
    assert missed == []
