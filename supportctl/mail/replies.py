"""The new text of a reply: quoted history and signature removed (email-reply-parser plus wrappers)."""

from __future__ import annotations

import re

from email_reply_parser import EmailMessage as _UpstreamMessage

# A pattern that fails at once: it switches off an upstream rule that this module replaces.
_NEVER = re.compile(r"(?!)")
# Private-use marker standing in for an attribution line while the upstream parser runs.
_MARK = "\ue000"
_MARKER_LINE = re.compile(rf"^On {_MARK}(\d+) wrote:$", re.MULTILINE)


class _ReplyParser(_UpstreamMessage):
    """GitHub's fragment algorithm (as ported by Zapier), with its line rules replaced where they misfire."""

    # Upstream's "Sent from my ..." is not anchored at the line end (GitHub's Ruby original is), so
    # "Sent from my desk, is much easier ..." was taken for a signature; other languages added.
    SIG_REGEX = re.compile(
        r"(--|__|-\w)"
        r"|(^(?:Sent from my|Sent from|Sent with|Gesendet von meinem|Gesendet vom|Von meinem"
        r"|Envoyé de mon|Envoyé depuis mon|Enviado desde mi|Enviado do meu|Inviato da)(?: [\w.-]+){1,5}$)"
        r"|(^Get Outlook for (?:iOS|Android)\b)"
    )
    # Attribution lines ("On ... wrote:" in any language, also split over lines) are found by
    # _mark_attributions and replaced by one marker line; only that marker counts as a quote header.
    QUOTE_HDR_REGEX = re.compile(rf"^On {_MARK}\d+ wrote:$")
    # Upstream takes any single line starting "To:"/"Subject:"/"From:" for a header and hides all
    # below it ("To: whom it may concern"); whole From:/Sent: blocks are cut by _cut_history instead.
    HEADER_REGEX = _NEVER
    # Upstream joins a multi-line "On ... wrote:" with a DOTALL regex that is quadratic on long mail.
    MULTI_QUOTE_HDR_REGEX = _NEVER
    MULTI_QUOTE_HDR_REGEX_MULTILINE = _NEVER


# Lines that start a top-posted client's copy of the history: everything from there on is old.
_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(?:Original Message|Original|Ursprüngliche Nachricht|Originalnachricht"
    r"|Message d'origine|Message original|Mensaje original|Messaggio originale|Oorspronkelijk bericht"
    r"|Originalmeddelande|Opprinnelig melding|Oprindelig meddelelse|Mensagem original|Alkuperäinen viesti)"
    r"\s*-{2,}\s*$",
    re.IGNORECASE,
)
# Outlook's header block: a From line followed within a few lines by Sent/Date/To/Subject lines.
_BLOCK_FROM = re.compile(r"^\s*\*?(?:From|Von|De|Van|Da|Från|Fra|Od|Lähettäjä)\s*\*?\s*:\s*\*?\s*\S", re.IGNORECASE)
_BLOCK_FIELD = re.compile(
    r"^\s*\*?(?:Sent|Date|To|Subject|Cc|Gesendet|Datum|An|Betreff|Envoyé|À|Objet|Enviado|Fecha|Para"
    r"|Asunto|Verzonden|Aan|Onderwerp|Inviato|Data|A|Oggetto|Skickat|Till|Ämne|Sendt|Til|Emne|Lähetetty"
    r"|Vastaanottaja|Aihe)\s*\*?\s*:",
    re.IGNORECASE,
)
# Forwarding markers: what follows them is the content the sender wants us to read, not history.
_FORWARD_MARKER = re.compile(
    r"^\s*(?:-{2,}\s*(?:Forwarded message|Weitergeleitete Nachricht|Message transféré|Mensaje reenviado"
    r"|Messaggio inoltrato|Doorgestuurd bericht|Vidarebefordrat meddelande|Forwarded Message)\s*-{2,}"
    r"|Begin forwarded message:|Anfang der weitergeleiteten Nachricht:|Début du message réexpédié :?"
    r"|Inicio del mensaje reenviado:)\s*$",
    re.IGNORECASE,
)
# Attribution lines: an opener at the start, a closer at the end (the line may be wrapped in two or three).
_ATTRIBUTION = re.compile(
    r"^(?:On\s.{1,250}\swrote\s?:"
    r"|Am\s.{1,250}\sschrieb\b.{0,250}:"
    r"|Le\s.{1,250}\sa\s+écrit\s?:"
    r"|El\s.{1,250}\sescribió\s?:"
    r"|Op\s.{1,250}\sschreef\b.{0,250}:"
    r"|Il\s.{1,250}\sha\s+scritto\s?:"
    r"|Em\s.{1,250}\sescreveu\s?:"
    r"|(?:Den|På)\s.{1,250}\sskrev\b.{0,250}:"
    r"|\S.{0,250}\s(?:wrote|schrieb|a écrit|escribió|escreveu|schreef|skrev)\s?:)$",
    re.IGNORECASE,
)
_OPENER = re.compile(r"^(?:On|Am|Le|El|Op|Il|Em|Den|På)\s", re.IGNORECASE)
_SEPARATOR = re.compile(r"^\s*[-_=*]{3,}\s*$")


def reply_text(text: str, *, forwarded: bool = False) -> str:
    """The new text of a mail body: quoted history and signature removed; the whole text if that leaves nothing.

    `forwarded`: the message forwards another (Fwd: subject); its "history" is the content, so it is kept.
    """
    lines = _normalize(text)
    whole = "\n".join(lines).strip("\n")
    if forwarded:
        return whole
    lines, forwards = _cut_history(lines)
    if forwards:
        # A forward inside the mail: the forwarded mail is content. (Upstream would also take its
        # "---------- Forwarded message" line, after a blank line, for a signature and hide the rest.)
        return whole
    lines, originals = _mark_attributions(lines)
    parsed = _ReplyParser("\n".join(lines)).read()
    visible = "\n".join(f.content for f in parsed.fragments if not f.hidden)
    visible = _MARKER_LINE.sub(lambda m: originals[int(m.group(1))], visible)
    kept = visible.split("\n")
    while kept and (not kept[-1].strip() or _SEPARATOR.match(kept[-1])):
        kept.pop()
    result = "\n".join(kept).strip("\n")
    return result if result.strip() else whole


def _normalize(text: str) -> list[str]:
    """Lines with line endings unified, trailing blanks dropped (format=flowed leaves them), markers defused."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace(_MARK, "")
    return [line.rstrip() for line in text.split("\n")]


def _cut_history(lines: list[str]) -> tuple[list[str], bool]:
    """Drop everything from the first Outlook-style history block, when new text stands above it.

    Returns the lines kept and whether a forwarding marker came first (then nothing is cut).
    """
    for i, line in enumerate(lines):
        if line.startswith(">"):
            continue
        if _FORWARD_MARKER.match(line):
            return lines, True
        if _ORIGINAL_MESSAGE.match(line) or (_BLOCK_FROM.match(line) and _is_header_block(lines, i)):
            if any(s.strip() and not _SEPARATOR.match(s) for s in lines[:i]):
                return lines[:i], False
            return lines, False  # nothing above: a bare forward or a bottom post; keep it all
    return lines, False


def _is_header_block(lines: list[str], start: int) -> bool:
    """Whether a From line at `start` is followed, within four lines, by another header field."""
    return any(_BLOCK_FIELD.match(line) for line in lines[start + 1:start + 5])


def _mark_attributions(lines: list[str]) -> tuple[list[str], list[str]]:
    """Replace each attribution line (joined when wrapped) by a marker line; return the originals by index."""
    out: list[str] = []
    originals: list[str] = []
    i = 0
    while i < len(lines):
        found = _attribution_at(lines, i)
        if found is None:
            out.append(lines[i])
            i += 1
            continue
        joined, end = found
        out.append(f"On {_MARK}{len(originals)} wrote:")
        originals.append(joined)
        i = end
    return out, originals


def _attribution_at(lines: list[str], i: int) -> tuple[str, int] | None:
    """The attribution starting at line i, joined over up to three lines, and the index after it."""
    first = lines[i]
    if not first.strip() or first.startswith(">"):
        return None
    for end in range(i + 1, min(i + 4, len(lines) + 1)):
        if end > i + 1 and not _OPENER.match(first):
            return None  # only "On <date>, <name>" openers are wrapped by clients
        chunk = lines[i:end]
        if any(not s.strip() or s.startswith(">") for s in chunk):
            return None
        joined = " ".join(s.strip() for s in chunk)
        if len(joined) > 400 or not joined.endswith(":"):
            continue
        if not _ATTRIBUTION.match(joined):
            continue
        quoted_next = _next_is_quoted(lines, end)
        dated = _OPENER.match(first) and any(ch.isdigit() for ch in joined)
        # An undated "X wrote:" is only an attribution when a quote follows it, so
        # prose like "On Monday the client wrote:" followed by plain text is left alone.
        if quoted_next or dated:
            return joined, end
        return None
    return None


def _next_is_quoted(lines: list[str], start: int) -> bool:
    """Whether the first non-blank line from `start` is a '>' quote."""
    for line in lines[start:]:
        if line.strip():
            return line.startswith(">")
    return False
