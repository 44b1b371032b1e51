"""WhatsApp exports parsed (no database): every format variant, system lines, media, errors."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.importers.conftest import ME, WA
from tools.importers._common import NotAnExport, RecordError
from tools.importers.whatsapp import parse_chats
from tools.ingest import MessageIn

MADRID = ZoneInfo("Europe/Madrid")


def parse(name: str, **kwargs: object) -> tuple[list[MessageIn], object]:
    kwargs.setdefault("me", [ME])
    kwargs.setdefault("tz", MADRID)
    [parsed] = parse_chats([WA / name], **kwargs)  # type: ignore[arg-type]
    return list(parsed.records), parsed.stats


def rows(messages: list[MessageIn]) -> list[tuple[str, str, str, str]]:
    return [(m.sent_at.isoformat(), m.direction, m.sender, m.text) for m in messages]


def test_fixtures_keep_the_tricky_bytes() -> None:
    android = (WA / "Chat de WhatsApp con +34 600 12 34 56.txt").read_bytes()
    assert android.startswith(b"\xef\xbb\xbf") and b"\r\n" in android
    ios = zipfile.ZipFile(WA / "WhatsApp Chat - John Smith.zip").read("_chat.txt")
    assert "\u202fAM]".encode() in ios and "\u200e".encode() in ios
    assert "\u202fa. m.".encode() in (WA / "WhatsApp Chat with Ana Ruiz.txt").read_bytes()
    assert "٢٠٢٦".encode() in (WA / "WhatsApp Chat with Omar.txt").read_bytes()


def test_android_spanish_24h_bom_crlf_phone_multiline() -> None:
    messages, stats = parse("Chat de WhatsApp con +34 600 12 34 56.txt")
    assert rows(messages) == [
        (
            "2026-11-02T08:01:00+00:00",
            "inbound",
            "+34 600 12 34 56",
            "Hola Laura, ¿me pasas el presupuesto de las toallas?",
        ),
        (
            "2026-11-02T08:05:00+00:00",
            "outbound",
            ME,
            "Claro, te lo envío hoy.\nSon 200 unidades:\n\n- 100 grandes\n- 100 pequeñas",
        ),
        ("2026-11-02T08:06:00+00:00", "outbound", ME, "[attachment: media]"),
        (
            "2026-11-13T17:31:00+00:00",
            "inbound",
            "+34 600 12 34 56",
            "El precio es demasiado caro 😡",
        ),
        (
            "2026-11-13T17:31:00+00:00",
            "inbound",
            "+34 600 12 34 56",
            "El precio es demasiado caro 😡",
        ),
        ("2026-11-13T17:40:00+00:00", "outbound", ME, "Puedo hacerte un 10% de descuento."),
    ]
    assert stats.system_lines == 2 and stats.attachments == 1  # type: ignore[attr-defined]
    client = messages[0].client
    assert client.phone == "+34600123456" and client.name == "+34 600 12 34 56"
    # Two identical messages in the same minute stay two messages with different ids.
    assert len({m.external_id for m in messages}) == len(messages)


def test_ios_zip_month_first_12h_narrow_spaces_and_marks() -> None:
    messages, stats = parse("WhatsApp Chat - John Smith.zip")
    assert rows(messages) == [
        ("2026-11-02T08:00:12+00:00", "inbound", "John Smith", "Hi Laura, can you send the quote?"),
        ("2026-11-02T11:15:00+00:00", "outbound", ME, "Sure, here it is"),
        (
            "2026-11-02T11:15:30+00:00",
            "outbound",
            ME,
            "[attachment: 00000012-PHOTO-2026-11-02-12-15-30.jpg]",
        ),
        ("2026-11-02T11:16:00+00:00", "inbound", "John Smith", "[attachment: image]"),
        (
            "2026-11-13T23:01:59+00:00",  # 12:01:59 AM is just after midnight
            "inbound",
            "John Smith",
            "The price is too high.\nWe need a better offer.",
        ),
        ("2026-11-14T11:30:00+00:00", "outbound", ME, "I can do 10% off."),
    ]
    assert stats.system_lines == 2 and stats.attachments == 2  # type: ignore[attr-defined]
    assert stats.name.endswith("John Smith.zip!_chat.txt")  # type: ignore[attr-defined]


def test_spanish_am_pm_words_and_file_attached_with_caption() -> None:
    messages, _ = parse("WhatsApp Chat with Ana Ruiz.txt")
    assert [m.sent_at.strftime("%d %H:%M") for m in messages] == [
        "02 08:00",
        "02 12:15",
        "02 23:05",  # 12:05 a. m. on the 3rd, Madrid
        "25 11:30",
    ]
    assert messages[-1].text == "[attachment: IMG-20261125-WA0003.jpg]\nFoto del pedido"


def test_german_dots_vorm_nachm_and_system_text() -> None:
    messages, stats = parse("WhatsApp Chat mit Jürgen Weiß.txt")
    assert [(m.sent_at.hour, m.text) for m in messages] == [
        (8, "Guten Morgen, ist das Angebot noch gültig?"),
        (14, "Ja, bis Freitag."),
        (9, "[attachment: media]"),
    ]
    assert stats.system_lines == 1  # type: ignore[attr-defined]


def test_year_first_dots_in_time_and_non_ascii_digits() -> None:
    messages, _ = parse("WhatsApp Chat with Omar.txt")
    assert rows(messages)[:2] == [
        ("2026-11-02T08:00:00+00:00", "inbound", "Omar", "مرحبا Laura"),
        ("2026-11-02T08:05:30+00:00", "outbound", ME, "Hola Omar"),
    ]


@pytest.mark.parametrize(
    ("name", "texts", "system"),
    [
        (
            "Discussion WhatsApp avec Claire.txt",
            ["Bonjour, le devis est prêt ?", "[attachment: media]", "Oui, je vous l'envoie."],
            2,
        ),
        ("Chat WhatsApp con Giulia.txt", ["Buongiorno, avete il listino?", "Certo, eccolo."], 2),
    ],
)
def test_french_and_italian_system_lines(name: str, texts: list[str], system: int) -> None:
    messages, stats = parse(name)
    assert [m.text for m in messages] == texts
    assert stats.system_lines == system  # type: ignore[attr-defined]


def test_group_chat_is_one_conversation_keeping_each_sender() -> None:
    messages, stats = parse("Conversa do WhatsApp com Equipe Vendas.txt")
    assert {m.client.name for m in messages} == {"Equipe Vendas"}
    [key] = {m.conversation.key for m in messages}
    assert key.startswith("whatsapp-group:")
    assert [(m.sender, m.direction) for m in messages] == [
        ("Marta Lima", "inbound"),
        ("Pedro Alves", "inbound"),
        (ME, "outbound"),
        ("Marta Lima", "inbound"),
    ]
    assert stats.system_lines == 3  # type: ignore[attr-defined]
    renamed, _ = parse("Conversa do WhatsApp com Equipe Vendas.txt", client="Hotel Sol")
    assert {m.client.name for m in renamed} == {"Hotel Sol"}


def test_me_is_detected_from_chats_imported_together() -> None:
    files = [WA / "WhatsApp Chat with Ana Ruiz.txt", WA / "WhatsApp Chat mit Jürgen Weiß.txt"]
    parsed = parse_chats(files, tz=MADRID)
    outbound = {m.sender for p in parsed for m in p.records if m.direction == "outbound"}
    assert outbound == {ME}
    # One chat alone: its title names the client, so the other author is me.
    [single] = parse_chats([WA / "WhatsApp Chat with Omar.txt"], tz=MADRID)
    assert {m.sender for m in single.records if m.direction == "outbound"} == {ME}


def test_me_undetectable_asks_for_me(tmp_path: Path) -> None:
    chat = tmp_path / "chat.txt"
    chat.write_text("02/11/2026, 10:00 - Ana: hola\n14/11/2026, 10:01 - Luis: hola\n")
    with pytest.raises(NotAnExport, match="--me NAME"):
        parse_chats([chat])


def test_date_order_undecidable_names_the_flag_and_can_be_forced() -> None:
    with pytest.raises(NotAnExport, match="--date-order"):
        parse("WhatsApp Chat with Undecided.txt")
    dmy, _ = parse("WhatsApp Chat with Undecided.txt", date_order="dmy")
    mdy, _ = parse("WhatsApp Chat with Undecided.txt", date_order="mdy")
    assert dmy[0].sent_at.month == 2 and mdy[0].sent_at.month == 1


def test_time_zone_converts_wall_clock_to_utc() -> None:
    madrid, _ = parse("WhatsApp Chat with Omar.txt")
    tokyo, _ = parse("WhatsApp Chat with Omar.txt", tz=ZoneInfo("Asia/Tokyo"))
    assert madrid[0].sent_at == datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    assert tokyo[0].sent_at == datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
    # Ids follow the message, so the same export read in another zone is another message.
    assert madrid[2].external_id != tokyo[2].external_id


def test_a_bad_line_names_file_and_line() -> None:
    with pytest.raises(RecordError, match=r"Bad Line\.txt:2: invalid date or time"):
        parse("WhatsApp Chat with Bad Line.txt")
    messages, stats = parse("WhatsApp Chat with Bad Line.txt", skip_invalid=True)
    assert [m.text for m in messages] == ["first", "third"]
    assert stats.skipped == 1 and stats.errors[0].endswith(
        ":2: invalid date or time (day is out of range for month)"
    )  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("notes.txt", "not a WhatsApp chat export (no line starts with a date and time)"),
        ("empty.txt", "empty file, not a WhatsApp chat export"),
        ("photo.txt", "binary file, not a WhatsApp chat export"),
    ],
)
def test_not_an_export_is_one_clear_error(name: str, reason: str) -> None:
    with pytest.raises(NotAnExport) as caught:
        parse(name)
    assert str(caught.value) == f"{WA / name}: {reason}"


def test_ids_never_depend_on_the_file_name(tmp_path: Path) -> None:
    copy = tmp_path / "renamed.txt"
    copy.write_bytes((WA / "WhatsApp Chat with Ana Ruiz.txt").read_bytes())
    original, _ = parse("WhatsApp Chat with Ana Ruiz.txt")
    [renamed] = parse_chats([copy], me=[ME], tz=MADRID)
    assert [m.external_id for m in original] == [m.external_id for m in renamed.records]


def test_zip_without_a_chat_and_text_before_the_first_message(tmp_path: Path) -> None:
    empty_zip = tmp_path / "photos.zip"
    with zipfile.ZipFile(empty_zip, "w") as zf:
        zf.writestr("IMG-1.jpg", b"\xff\xd8")
    with pytest.raises(NotAnExport, match=r"zip file without a chat \.txt"):
        parse_chats([empty_zip], me=[ME])
    chat = tmp_path / "WhatsApp Chat with Ana.txt"
    chat.write_text(
        "exported by a tool\n02/11/2026, 10:00 - Ana: hola\n14/11/2026, 10:01 - Laura Gómez: hola\n"
    )
    [parsed] = parse_chats([chat], me=[ME])
    with pytest.raises(RecordError, match=r"Ana\.txt:1: not a message line"):
        list(parsed.records)
    [kept] = parse_chats([chat], me=[ME], skip_invalid=True)
    assert [m.text for m in kept.records] == ["hola", "hola"] and kept.stats.skipped == 1


def test_ios_group_named_by_its_system_author_and_a_renamed_me(tmp_path: Path) -> None:
    lrm = "\u200e"
    chat = tmp_path / "_chat.txt"
    chat.write_text(
        f"[02/11/2026, 10:00:00] Obra Calle Mayor: {lrm}Marta created this group\n"
        f"[02/11/2026, 10:00:01] Obra Calle Mayor: {lrm}Marta added you\n"
        "[02/11/2026, 10:01:00] Marta: ¿Cuándo llega el material?\n"
        "[02/11/2026, 10:02:00] Laura: Mañana a las 9\n"
        "[14/11/2026, 10:03:00] Laura Gómez: Ya está entregado\n"
        "[14/11/2026, 10:04:00] Pedro: Gracias\n",
        encoding="utf-8",
    )
    [parsed] = parse_chats([chat], me=["Laura", ME], tz=MADRID)
    messages = list(parsed.records)
    assert {m.client.name for m in messages} == {"Obra Calle Mayor"}
    assert [m.direction for m in messages] == ["inbound", "outbound", "outbound", "inbound"]
    assert parsed.stats.system_lines == 2


def test_a_folder_is_not_an_export(tmp_path: Path) -> None:
    with pytest.raises(NotAnExport, match=r"a folder; pass the chat's \.txt or \.zip"):
        parse_chats([tmp_path], me=[ME])
