"""Language identification with the real lingua models: the notice in each language, English kept English."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.detect.language_id import LanguageIdentifier
from bot.detect.language_service import LanguageIdentificationService, LanguageReading
from bot.detect.languages import ENGLISH, fold, load_profiles, parse_profile
from flows import router
from flows.inbound import TextMessage
from flows.risk import RiskTier
from flows.snapshot import Facts, MemberSnapshot
from flows.unreadable import NOTICE_LANGUAGES
from tests.flows.dialogue import CATALOGUE, CRISIS, HILLSIDE

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)

# One message in each language Cairn must recognise (written for this test), with the notice's first words.
EACH_LANGUAGE = [
    ("pl", "nie chce juz zyc, mam dość", "Przepraszam"),
    ("ur", "mujhe marna hai yaar, kuch acha nahi lag raha", "معذرت"),
    ("pa", "ਮੈਂ ਬਹੁਤ ਥੱਕ ਗਿਆ ਹਾਂ", "ਮਾਫ਼ ਕਰਨਾ"),
    ("bn", "ami ar parchi na, amar kichu bhalo lagche na", "দুঃখিত"),
    ("ro", "nu mai pot, sunt foarte obosit", "Îmi pare rău"),
    ("ar", "أنا متعب جدا ولا أريد أن أعيش", "عذرًا"),
    ("lt", "man labai blogai, nebegaliu", "Atsiprašau"),
    ("pt", "não aguento mais, estou muito cansada", "Desculpe"),
    ("es", "estoy muy triste y no quiero vivir", "Lo siento"),
    ("cy", "dwi ddim yn iawn, dw i eisiau marw", "Mae'n ddrwg gen i"),
    ("gd", "chan eil mi ceart gu leòr, tha mi sgìth", "Tha mi duilich"),
    ("so", "waan daalay, kaligay baan ahay", "Waan ka xumahay"),
    ("de", "Ich will mich umbringen", "Entschuldigung"),
]

# Everyday English, Scots and text-speak, written for this test: none may be called foreign.
ENGLISH_AND_SCOTS = [
    "a want tae dee the nicht", "am no feeling great the day", "cannae be arsed wi any of it", "im fine ta", "ok",
    "lol", "gd ty u", "ngl cba wi today tbh", "wee walk doon the shore wis braw", "aye ken whit ye mean",
    "its pure baltic oot there", "hiya", "nae bother", "gonnae no dae that", "ffs", "proper mardy today", "brb",
    "cheers pal", "tired af", "feelin rough as owt", "wyd", "skint again innit", "meh", "Went to the allotment",
    "dinnae ken whit tae dae wi masel", "awfy tired, heid's mince", "wee yin's no well", "had a greet earlier",
    "kms", "idk anymore", "omg the bus was late AGAIN", "mum's birthday tmrw", "Yes", "No", "maybe", "dunno",
    "😭😭", "👍", "10/10", "bairns are driving me daft", "gan doon the toon the neet", "wagwan fam", "allow it bruv",
]  # fmt: skip


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    """The real identifier, lingua's models loaded (shared per process)."""
    return LanguageIdentifier.load()


def replies_for(text: str, identifier: LanguageIdentifier, member: MemberSnapshot | None = None) -> list[str]:
    """Run one message through the flows as the bot would, with its identified language."""
    found = identifier.identify(text)
    facts = Facts(member or MemberSnapshot(registered=False), CATALOGUE, CRISIS, NOW)
    facts = replace(facts, unread_language=None if found.english else found.language)
    outcome = router.handle(TextMessage(text), facts)
    return [CATALOGUE.render_reply(reply) for reply in outcome.replies]


def gets_the_crisis_numbers(replies: list[str]) -> bool:
    """Say whether the replies carry 999 and every crisis number of the region."""
    text = "\n".join(replies)
    return "999" in text and all(item.contact in text for item in CRISIS.resources)


@pytest.mark.parametrize(("language", "text", "opening"), EACH_LANGUAGE, ids=[row[0] for row in EACH_LANGUAGE])
def test_a_message_in_each_language_gets_the_notice_in_that_language_with_the_numbers(
    identifier: LanguageIdentifier, language: str, text: str, opening: str
) -> None:
    assert identifier.identify(text).language == language
    replies = replies_for(text, identifier)
    assert replies[0].startswith(opening)
    assert gets_the_crisis_numbers(replies[:1])


def test_it_works_for_a_registered_member_too(identifier: LanguageIdentifier) -> None:
    member = MemberSnapshot(registered=True, organisation=HILLSIDE)
    replies = replies_for("Chcę umrzeć", identifier, member)
    assert replies[0].startswith("Przepraszam") and gets_the_crisis_numbers(replies)


def test_english_scots_and_text_speak_are_not_called_foreign(identifier: LanguageIdentifier) -> None:
    foreign = [(text, identifier.identify(text).language) for text in ENGLISH_AND_SCOTS]
    assert [pair for pair in foreign if pair[1] != ENGLISH] == []


def test_the_project_s_english_evaluation_messages_are_not_called_foreign(identifier: LanguageIdentifier) -> None:
    lines = (ROOT / "tests/data/risk_eval.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines if line.strip()]
    assert len(texts) > 300
    assert [text for text in texts if not identifier.identify(text).english] == []


def test_every_language_data_file_has_a_notice_and_shipped_word_lists_are_marked_unreviewed() -> None:
    profiles = load_profiles()
    for code in profiles:
        if code == ENGLISH:
            continue
        assert code in NOTICE_LANGUAGES, code
        data = json.loads((ROOT / f"bot/detect/data/languages/{code}.json").read_text(encoding="utf-8"))
        assert data["reviewed"] is False or data["reviewed_by"], f"{code}: a reviewed list names its reviewer"


def test_an_unreviewed_word_list_finds_words_but_raises_nothing(identifier: LanguageIdentifier) -> None:
    polish = identifier.profiles["pl"]
    assert not polish.reviewed
    assert [signal.tier for signal in polish.draft_hits(fold("Chcę się zabić"))] == [RiskTier.URGENT]
    assert identifier.crisis_signals("Chcę się zabić", "pl") == []


def test_a_reviewed_word_list_raises_urgent_and_the_crisis_reply_comes_before_the_notice(
    identifier: LanguageIdentifier,
) -> None:
    data = json.loads((ROOT / "bot/detect/data/languages/pl.json").read_text(encoding="utf-8"))
    reviewed = parse_profile({**data, "reviewed": True, "reviewed_by": "test"})
    checked = LanguageIdentifier(identifier.lingua, {**identifier.profiles, "pl": reviewed})
    signals = checked.crisis_signals("chce sie zabic dzisiaj", "pl")
    assert [signal.tier for signal in signals] == [RiskTier.URGENT]
    facts = Facts(MemberSnapshot(registered=False), CATALOGUE, CRISIS, NOW, language=tuple(signals))
    facts = replace(facts, unread_language="pl")
    crisis, notice, *_ = [CATALOGUE.render_reply(r) for r in router.handle(TextMessage("x"), facts).replies]
    assert crisis.startswith("It sounds like things are really hard") and notice.startswith("Przepraszam")


async def test_the_service_reads_off_the_event_loop(identifier: LanguageIdentifier) -> None:
    service = LanguageIdentificationService(identifier, "ok")
    try:
        assert await service.read("Noriu mirti") == LanguageReading("lt")
        assert (await service.read("going to the shops")).unread_language is None
    finally:
        await service.close()


async def test_when_lingua_fails_to_load_it_says_so_loudly_and_scripts_and_words_still_work(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken() -> LanguageIdentifier:
        raise OSError("models missing")

    caplog.set_level(logging.INFO)
    service = await LanguageIdentificationService.start(load=broken)
    try:
        errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        assert any("language_identifier_unavailable error=OSError" in message for message in errors)
        assert service.state == "degraded"
        assert (await service.read("أريد أن أموت")).language == "ar"
        assert (await service.read("nie chce juz zyc")).language == "pl"
        assert (await service.read("feeling rubbish the day")).unread_language is None
    finally:
        await service.close()


async def test_when_the_language_data_fails_too_every_message_is_read_as_english_and_it_is_logged(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> LanguageIdentifier:
        raise OSError("models missing")

    def no_data(directory: object = None) -> dict[str, object]:
        raise ValueError("language data is malformed")

    monkeypatch.setattr("bot.detect.language_id.load_profiles", no_data)
    service = await LanguageIdentificationService.start(load=broken)
    try:
        assert service.state == "failed"
        assert any("language_data_unavailable" in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
        assert await service.read("Chcę umrzeć") == LanguageReading()
    finally:
        await service.close()


def test_lingua_loads_offline_with_the_network_refused() -> None:
    script = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network refused in this test')\n"
        "socket.socket.connect = refuse; socket.create_connection = refuse; socket.getaddrinfo = refuse\n"
        "from bot.detect.language_id import LanguageIdentifier\n"
        "print(LanguageIdentifier.load().identify('Dw i eisiau marw').language)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "NO_PROXY": "*"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "cy"


@pytest.mark.parametrize(
    "text",
    ["chci umřít", "tôi muốn chết", "dua të vdes", "meg akarok halni", "我不想活了", "ክመውት እደሊ", "θέλω να πεθάνω"],
)
def test_a_language_with_no_data_file_still_gets_the_numbers(identifier: LanguageIdentifier, text: str) -> None:
    assert not identifier.identify(text).english
    assert gets_the_crisis_numbers(replies_for(text, identifier))


async def test_readyz_checks_show_the_identification_state() -> None:
    from bot.web.health import Health

    async def answers() -> object:
        return True

    for state in ("ok", "degraded", "off", "failed"):
        service = LanguageIdentificationService(None, state)
        health = Health(None, None, False, answers, languages=service)  # type: ignore[arg-type]
        assert (await health.checks())["language_identification"] == state
        await service.close()
