"""Email archives parsed (no database): bodies, charsets, headers, threads, skips, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.importers.conftest import MAIL, ME_MAIL
from tools.importers._common import NotAnExport, RecordError
from tools.importers.email import normalised_subject, parse_archives
from tools.ingest import MessageIn


def parse(*paths: Path, **kw: object) -> tuple[list[list[MessageIn]], list[object]]:
    files = parse_archives(list(paths), me=[ME_MAIL], **kw)  # type: ignore[arg-type]
    records = [list(f.records) for f in files]
    return records, [f.stats for f in files]


def test_fixture_bytes_are_what_the_tests_claim() -> None:
    inbox = (MAIL / "inbox.mbox").read_bytes()
    assert b"a\xf1o tras a\xf1o" in inbox and b"charset=utf-8" in inbox  # latin-1 labelled utf-8
    assert b"charset=x-unknown-charset" in inbox and b"=?UTF-8?Q?Jos=C3=A9" in inbox
    assert b"\r\n" in (MAIL / "sent-reply.eml").read_bytes()


def test_mbox_bodies_headers_attachments_and_skips() -> None:
    [messages], [stats] = parse(MAIL / "inbox.mbox")
    first, reply, broken, html = messages
    assert first.client.name == "José García" and first.client.email == "jose.garcia@hotelsol.es"
    assert first.conversation.subject == "Presupuesto toallas – Hotel Sol"
    # mboxrd ">From " unquoted; the "-- " signature and sign-off are gone.
    assert first.text == (
        "Hola Laura, ¿me pasas el presupuesto de las toallas?\nFrom now on we order monthly."
    )
    assert reply.direction == "outbound" and reply.sender == "Laura Gómez"
    assert reply.text == "Te adjunto el presupuesto: 1.200 €.\n[attachment: presupuesto_año.pdf]"
    assert broken.text == "El precio es demasiado caro para nosotros, a\ufffdo tras a\ufffdo sube."
    assert html.text == "Hi Laura,\n\nThe price is too high, we need a better offer."
    assert {m.conversation.key for m in (first, reply, broken)} == {first.conversation.key}
    assert html.conversation.key != first.conversation.key
    assert (stats.skipped_bulk, stats.replaced_chars, stats.attachments) == (3, 2, 1)  # type: ignore[attr-defined]


def test_outlook_quote_and_latin1_eml() -> None:
    [[message]], _ = parse(MAIL / "sent-reply.eml")
    assert message.text == "Puedo hacerte un 10% de descuento si cerramos esta semana."
    assert message.client.name == "José García" and message.direction == "outbound"


def test_maildir_cur_and_new_english_quote_and_mobile_signature() -> None:
    [messages], _ = parse(MAIL / "Maildir")
    assert [(m.direction, m.text) for m in messages] == [
        ("inbound", "¿Quedan plazas para el curso de inglés?"),
        ("outbound", "Sí, quedan 3 plazas."),
    ]
    assert messages[0].conversation.subject == "Matrícula curso"
    # No reply headers at all: the subject (without "Re:") and counterpart join the thread.
    assert messages[0].conversation.key == messages[1].conversation.key


def test_thread_keys_do_not_depend_on_import_order_or_run() -> None:
    [[sent]], _ = parse(MAIL / "sent-reply.eml")
    [inbox], _ = parse(MAIL / "inbox.mbox")
    assert sent.conversation.key == inbox[0].conversation.key
    assert sent.external_id not in {m.external_id for m in inbox}


def test_bad_message_is_named_and_skippable() -> None:
    with pytest.raises(RecordError, match=r"bad-date\.mbox: message 2: no valid Date header"):
        parse(MAIL / "bad-date.mbox")
    [messages], [stats] = parse(MAIL / "bad-date.mbox", skip_invalid=True)
    assert [m.text for m in messages] == ["primero", "tercero"]
    assert stats.skipped == 1  # type: ignore[attr-defined]


def test_not_an_archive_and_a_folder_that_is_no_maildir(tmp_path: Path) -> None:
    with pytest.raises(NotAnExport, match="not an email archive"):
        parse(MAIL / "not-mail.mbox")
    with pytest.raises(NotAnExport, match="not a Maildir"):
        parse(tmp_path)
    binary = tmp_path / "x.mbox"
    binary.write_bytes(b"From \x00\x01\x02")
    with pytest.raises(NotAnExport, match="binary file"):
        parse(binary)


def test_no_address_of_mine_is_an_error() -> None:
    with pytest.raises(NotAnExport, match="--me EMAIL"):
        parse_archives([MAIL / "inbox.mbox"], me=[])


def test_subjects_normalise_across_languages() -> None:
    assert normalised_subject("RE: Fwd: AW: Oferta Año") == "oferta ano"
    assert normalised_subject("RV: [2] Re:  Oferta   año") == normalised_subject("Oferta año")


def test_big_mbox_streams_without_holding_messages(tmp_path: Path) -> None:
    mbox = tmp_path / "big.mbox"
    with mbox.open("wb") as fh:
        for i in range(300):
            fh.write(
                f"From c{i}@x.es Mon Nov  2 10:00:00 2026\nFrom: c{i}@x.es\nTo: {ME_MAIL}\n"
                f"Subject: s{i}\nDate: Mon, 02 Nov 2026 10:00:00 +0100\n\ntexto {i}\n\n".encode()
            )
    [parsed] = parse_archives([mbox], me=[ME_MAIL])
    first = next(parsed.records)
    assert first.text == "texto 0" and parsed.stats.messages == 1  # read lazily, one at a time
    assert sum(1 for _ in parsed.records) == 299


def test_a_from_line_in_a_body_does_not_split_the_mbox(tmp_path: Path) -> None:
    mbox = tmp_path / "plain.mbox"
    mbox.write_bytes(
        b"From ana@x.es Mon Nov  2 10:00:00 2026\nFrom: ana@x.es\nTo: laura@example.es\n"
        b"Subject: hola\nDate: Mon, 02 Nov 2026 10:00:00 +0100\n\nprimera\n\n"
        b"From now on, pedidos mensuales.\n\n"
        b"From ana@x.es Tue Nov  3 10:00:00 2026\nFrom: ana@x.es\nTo: laura@example.es\n"
        b"Subject: Re: hola\nDate: Tue, 03 Nov 2026 10:00:00 +0100\n\nsegunda\n"
    )
    [messages], _ = parse(mbox)
    assert [m.text for m in messages] == ["primera\n\nFrom now on, pedidos mensuales.", "segunda"]
