"""What WhatsApp exports look like in every locale: header, system-line and media patterns."""

import re

_MARK = "[\u200e\u200f\u202a-\u202e\u2066-\u2069]*"
_HEADER = re.compile(
    rf"^{_MARK}(?P<bracket>\[)?{_MARK}"
    r"(?P<d1>\d{1,4})(?P<sep>[./\-])(?P<d2>\d{1,2})(?P=sep)(?P<d3>\d{2,4})\.?,?\s"
    rf"{_MARK}(?P<h>\d{{1,2}})[:.](?P<mi>\d{{2}})(?:[:.](?P<s>\d{{2}}))?"
    r"(?:\s?(?P<ampm>[ap]\.?\s?m\.?|vorm\.|nachm\.|vm\.|nm\.|午前|午後|오전|오후))?"
    rf"{_MARK}(?(bracket)\]\s|\s[-–]\s)(?P<rest>.*)$",
    re.IGNORECASE,
)
_PM_WORDS = {"pm", "nachm", "nm", "午後", "오후"}
# Invisible marks the apps insert; U+200E before a message's text flags an iOS system line.
_INVISIBLE = re.compile("[\ufeff\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_ODD_SPACE = re.compile("[\u202f\u00a0\u2009\u2007]")
_SPACES = {0x202F: " ", 0x00A0: " ", 0x2009: " ", 0x2007: " "}
_AUTHOR = re.compile(r"^(?P<author>[^:\"“„«]{1,120}?): (?P<text>.*)$", re.DOTALL)

_MEDIA_OMITTED = re.compile(
    r"^(?:<\s*(?:media omitted|multimedia omitido|m[íi]dia oculta|medien ausgeschlossen|"
    r"m[ée]dias omis|media omessi|file omessi)\s*>|"
    r"(?P<kind>image|video|audio|sticker|gif|document|contact card|imagen|v[íi]deo|"
    r"documento|tarjeta de contacto|imagem|figurinha|bild|dokument|immagine|"
    r"photo|vidéo|contatto|kontakt)\s+(?:omitted|omitid[oa]|ocult[oa]|weggelassen|"
    r"omis|omess[oa]|ausgeschlossen))$",
    re.IGNORECASE,
)
_ATTACHED = re.compile(
    r"^<\s*(?:attached|adjunto|anexado|anhang|pi[èe]ce jointe|allegato)\s*:\s*(?P<name>[^>]+?)\s*>"
    r"|^(?P<file>\S.*?\.\w{1,5})\s+\((?:file attached|archivo adjunto|arquivo anexado|"
    r"datei angeh[äa]ngt|fichier joint|file allegato)\)",
    re.IGNORECASE,
)
_SYSTEM_TEXT = re.compile(
    r"^(?:this message was deleted|you deleted this message|"
    r"se eliminó este mensaje|eliminaste este mensaje|este mensaje fue eliminado|"
    r"essa mensagem foi apagada|esta mensagem foi apagada|você apagou esta mensagem|"
    r"diese nachricht wurde gelöscht|du hast diese nachricht gelöscht|"
    r"ce message a été supprimé|vous avez supprimé ce message|"
    r"questo messaggio è stato eliminato|hai eliminato questo messaggio|"
    r"missed (?:voice|video) call|llamada (?:de voz|de video|perdida).*|"
    r"chamada de (?:voz|vídeo) perdida|verpasster (?:sprach|video)anruf|"
    r"appel (?:vocal|vidéo) manqué|chiamata (?:vocale|video) persa|"
    r"waiting for this message.*|esperando el mensaje.*|null)\.?$",
    re.IGNORECASE,
)
_EDITED = re.compile(
    r"\s*<(?:this message was edited|se editó este mensaje\.?|editada|"
    r"diese nachricht wurde bearbeitet|ce message a été modifié|messaggio modificato)>\s*$",
    re.IGNORECASE,
)
_GROUP_NAME = re.compile(
    r"(?:created group|creó el grupo|creó el grupo|criou o grupo|hat die gruppe|"
    r"a créé le groupe|ha creato il gruppo)\s*[\"“„«]\s?(?P<name>[^\"”“»]+?)\s?[\"”“»]",
    re.IGNORECASE,
)
_GROUP_EVENT = re.compile(
    r"\b(?:added|removed|left|joined using|created group|changed the subject|changed this group|"
    r"añadió|agregó|eliminó a|salió|se unió|creó el grupo|cambió el asunto|"
    r"adicionou|removeu|saiu|entrou usando|criou o grupo|mudou o assunto|"
    r"hinzugefügt|entfernt|verlassen|beigetreten|gruppe|"
    r"a ajouté|a retiré|est parti|a rejoint|a créé le groupe|"
    r"ha aggiunto|ha rimosso|è uscito|è entrato|ha creato il gruppo)\b",
    re.IGNORECASE,
)
_TITLE = re.compile(
    r"^(?:WhatsApp Chat (?:with|mit|-)|Chat de WhatsApp con|Conversa do WhatsApp com|"
    r"Discussion WhatsApp avec|Chat WhatsApp con|WhatsApp-Chat mit)\s+"
    r"(?P<name>.+?)(?:\s*\(\d+\))?$",
    re.IGNORECASE,
)


_OTHER_DIGIT = re.compile(r"(?![0-9])\d")
