"""Credentials found by the name before them: ``name=value`` in every syntax telemetry carries.

    password=hunter2            token: abc123            "api_key": "abc123"
    {\\"password\\": \\"x\\"}       DB_PASSWORD="x"           Authorization: ApiKey abc123
    --password hunter2          <password>x</password>   {"name": "DB_PASS", "value": "x"}
    IDENTIFIED BY 'x'           mot de passe : x         the api key is abc123
    aws secret access key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY

The name decides, by its words (``tenantry.policy.words``, the one list of secret words: a
multi-word name such as ``mot de passe`` or ``api key`` is read across the spaces before it), and
the value is masked unless the words name a measure or a flag and the value is a number or a
bool (``words.keeps``: ``token_count=3`` stays), or the value is a placeholder or a status word
(``token=None``, ``password: ${DB_PASSWORD}``, ``Invalid token: expired``).
A vendor's name or a last word ``key`` (``words.is_weak_secret_words``: ``SENTRY_KEY``,
``datadog_app``) names a secret only when the value looks like a key (``words.KEYISH``).

Syntaxes: ``name=value``, ``name: value``, ``name := value``, ``name => value`` with the name
and the value quoted, escaped-quoted (``\\"``, any depth) or bare (JSON, Python and Ruby reprs,
YAML, also a block scalar ``password: |`` or a value on the next line, ``.env``, TOML, INI, form
and query strings, HTTP headers, connection strings); the containers of
``credential_commands`` (command lines, XML properties named by an attribute, HCL variables,
Kubernetes Secrets); command
line flags (``--password x``, ``mysql -px``, ``sshpass -p x``, ``redis-cli -a x``, ``curl -u
user:x``); XML elements and ``key="..." value="..."`` attributes, and ``name``/``value`` pairs in
JSON or YAML; SQL ``IDENTIFIED BY '...'`` and ``PASSWORD '...'``; prose: a secret word, a verb
(``is``, ``was``, ``ist``, ``est``, ``es``, ...) and a value with a digit or a symbol, or a secret
word and, within four words, a token of 16+ characters that mixes letters and digits.

``HINT`` gates the whole module: a text whose folded lower-case form (``hint_text``) it finds
nothing in holds no such pair.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from tenantry.policy import credential_commands, words
from tenantry.policy._memo import memoised
from tenantry.policy._trie import trie
from tenantry.policy.randomness import looks_random

REDACTED = "[REDACTED]"


def _hint() -> str:
    """The gate of the module, derived from ``tenantry.policy.words``: every secret word and
    ``QUERY_WORDS``' last word (less those containing a shorter one), every ``SECRET_PAIRS``
    pair written with any separator (``api key``, ``api_key``, ``apikey``), and the syntax
    keywords of the commands and SQL read here; lower case, as a prefix tree (``_trie``)."""
    stems = set(words.SECRET_WORDS) | {w.split("-")[-1] for w in words.QUERY_WORDS}
    stems |= {"identified", "mysql", "mariadb", "sshpass", "redis-cli", "curl"}
    stems |= {*words.GLUED_SUFFIXES, *credential_commands.GATE_WORDS}
    stems |= set(words.VENDOR_WORDS)
    # ``*_key`` names only as a pair's name (a word "key" alone opens no gate: "invalid key")
    stems |= {w + sep for w in words.WEAK_LAST_WORDS for sep in ("=", ":", " =", " :", '"', "'",
                                                                 "\\", ">")}  # fmt: skip
    kept: list[str] = []
    for stem in sorted(stems, key=len):
        if not any(k in stem for k in kept):
            kept.append(stem)
    items = [(k, "") for k in kept]
    for a, b in sorted(words.SECRET_PAIRS):
        if not any(k in a or k in b for k in kept):
            items.append((a, rf"[\W_]{{0,3}}{re.escape(b)}"))
    return trie(items)


# Searched in the folded, lower-case text: a text in which it finds nothing holds no pair.
HINT = re.compile(_hint())

# The words that end a multi-word secret name ("key" of "api key", "passe" of "mot de passe"):
# a name made of one of them is read together with the two words before it.
_TAIL_WORDS = frozenset(b for _a, b in words.SECRET_PAIRS)
_PREVIOUS = re.compile(r"(?:([^\W\d_]\w*)[ \t_-]+)?([^\W\d_]\w*)[ \t_-]+\Z")

_NAME = r"(?P<name>[^\W\d][\w.\-]{0,63}+)"
# name, optional closing quote (escaped at any depth), separator
_PAIR = re.compile(rf"(?<![\w.$@]){_NAME}(?:\\{{0,7}}[\"'`])?[ \t]*(?P<sep>:=|=>|[:=])[ \t]*")
_LINE_VALUE = re.compile(r"[^\r\n]*[^\s]")
_FLAG = re.compile(rf"(?<!\S)--?{_NAME}[ \t]+(?=[^\s-])")
_TAG = re.compile(rf"<{_NAME}(?:[ \t][^<>]{{0,200}})?>(?P<value>[^<]{{1,512}})</(?P=name)>")
_NAMED_VALUE = re.compile(
    r"(?:\b(?:name|key|Name|Key|ParameterKey))(?:\\{0,7}[\"'])?[ \t]*[:=][ \t]*(?:\\{0,7}[\"'])?"
    r"(?P<name>[^\W\d][\w.\-]{0,63})(?:\\{0,7}[\"'])?[ \t]*[,;]?\s{0,40}(?:\\{0,7}[\"'])?"
    r"(?:value|Value|ParameterValue)(?:\\{0,7}[\"'])?[ \t]*[:=][ \t]*"
)
_SQL = re.compile(r"(?i)\b(?:identified[ \t]+by|password)[ \t]+(?=')")
_COMMANDS = re.compile(
    r"\b(?:(?:mysql|mysqldump|mysqladmin|mariadb)\b[^\n]*?[ \t]-p(?=[^\s-])"
    r"|sshpass[ \t]+-p[ \t]+|redis-cli\b[^\n]*?[ \t]-a[ \t]+"
    r"|curl\b[^\n]*?[ \t](?:-u|--user)[ \t=]+[^\s:]{1,64}:)"
)
# Verbs between a secret word and its value in prose, in the languages of ``words``.
_CONNECTIVES = frozenset({"is", "was", "are", "ist", "war", "est", "était", "es", "era", "é", "è",
                          "->", "→"})  # fmt: skip
# A candidate value in prose: a token with a digit or a symbol (plain words are never one).
_CANDIDATE = re.compile(
    r"(?<![^\s(\[{,])(?=[^\s\"'`<>,;()\[\]{}]*[^A-Za-z\s\"'`<>,;()\[\]{}])"
    r"[^\s\"'`<>,;()\[\]{}]{4,256}"
)
_HEX_TOKEN = re.compile(r"[0-9a-fA-F]{16,}")
_LONG_TOKEN = re.compile(r"[A-Za-z0-9+/=_.~-]{16}")
_WEAK = re.compile(r"(?=.*[0-9])(?=.*[^0-9]).{6,}|[0-9]{4,}|(?=.*[A-Za-z])(?=.*[^\w]).{6,}")

_OPEN_QUOTE = re.compile(r"(\\*)([\"'`])")
_STRING_BODY = {q: re.compile(rf"(?:[^{q}\\\n]|\\.){{0,1024}}") for q in "\"'`"}
_BARE = re.compile(r"[^\s\"'`&,;<>]{1,256}[^\s\"'`&,;<>]*")
_SCHEME_WORD = re.compile(r"[A-Za-z][A-Za-z-]{1,24}\Z")
_NEXT_TOKEN = re.compile(r"[ \t]+[^\s\"'`&,;<>]+")
_PROSE_WORDS = re.compile(r"[A-Za-z]+[ \t]+[A-Za-z]+'?[A-Za-z]*[.!?:]?")
_TILL_SEMICOLON = re.compile(r"[^;\n\"'=&]{0,256}(?=;)")
_NUMBER = re.compile(r"-?[0-9][0-9_]*(?:\.[0-9]+)?")

# Values that are not credentials: empty or structural, placeholders and references to where
# the secret lives, and words that report a state. [gitleaks' global allowlist and stopwords]
_PLACEHOLDER = re.compile(
    r"(?i)[\s\\\"'`]*(?:|none|null|nil|undefined|n/a|na|true|false|yes|no|on|off|\*{1,16}|x{3,16}|\.{3}|…"
    r"|<[^<>]*>|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\{\{[^}]*\}\}|%\(?\w*\)?s|%s|\?"
    r"|\[?redacted\]?|\[filtered\]|\(hidden\)|hidden|masked|omitted|removed|required|optional"
    r"|missing|empty|invalid|expired|revoked|denied|rejected|failed|failure|incorrect|wrong"
    r"|malformed|mismatch|unknown|unauthorized|forbidden|ok|valid|unset|set|changed|reset"
    r"|updated|provided|present|absent|supplied|not|too|must|should|cannot|is|was|has|does"
    r"|needed|disabled|enabled|basic|digest|oauth2?|saml|oidc|string|str|int|bool|secretstr"
    r"|object|dict|list|bytes|type|value|file|env|stdin|prompt)[\s\\\"'`.,;:!)]*"
)
_ALREADY = re.compile(r"(?i)[\s\\\"'`]*(?:[A-Za-z][\w-]{0,24}[ \t]+)?\[REDACTED\][\s\\\"'`]*")


# The last word of an exception's class name: "NoCredentialsError: Unable to locate credentials"
# is a message, not a pair.
_EXCEPTION_WORDS = frozenset({"error", "errors", "exception", "warning", "fault", "failure"})


def hint_text(text: str) -> str:
    """What ``HINT`` searches: ``text`` folded (``words.fold``) and in lower case."""
    return (text if text.isascii() else words.fold(text)).lower()


@memoised()
def _name_verdict(name: str) -> int:
    if name.lower() in words.QUERY_WORDS:
        return words.NAMED
    name_words = words.key_words(name)
    if name_words and name_words[-1] in _EXCEPTION_WORDS:
        return words.INNOCENT
    verdict = words.secret_words_verdict(name_words)
    if not verdict and words.is_weak_secret_words(name_words):
        return words.WEAK
    return verdict


@memoised()
def _may_end_a_name(name: str) -> bool:
    name_words = words.key_words(name)
    return bool(name_words) and name_words[0] in _TAIL_WORDS


def _verdict(text: str, start: int, name: str) -> int:
    """The verdict of ``name`` at ``start`` in ``text``; a name that can end a multi-word secret
    name (``key``, ``passe``) is read with the two words before it (``api key``)."""
    verdict = _name_verdict(name)
    if verdict or not _may_end_a_name(name):
        return verdict
    before = _PREVIOUS.search(text, max(0, start - 48), start)
    if before is None:
        return words.INNOCENT
    previous = [w.lower() for w in before.groups() if w]
    return words.secret_words_verdict(
        [w for p in previous for w in words.key_words(p)] + words.key_words(name)
    ) or (words.WEAK if verdict == words.WEAK else words.INNOCENT)


def _value_of(text: str) -> object:
    """The value as ``words.keeps`` judges it: a number or a bool when it reads as one."""
    plain = text.strip("\"'` \\")
    if _NUMBER.fullmatch(plain):
        return float(plain.replace("_", "")) if "." in plain else int(plain.replace("_", ""))
    if plain.lower() in ("true", "false"):
        return plain.lower() == "true"
    return plain


def _masks(verdict: int, value: str) -> bool:
    """A value under a name of ``verdict`` is masked: the name names a secret, the value is
    neither a kept measure nor a placeholder nor a secret word itself (``auth: bearer``, ``type:
    jwt``: a kind of secret, not one), nor masked already."""
    plain = _value_of(value)
    if not verdict or words.keeps(verdict, plain):
        return False
    if not any(ch.isalnum() for ch in value):  # "{pat=}", "password: -"
        return False
    if isinstance(plain, str) and plain.lower() in words.SECRET_WORDS:
        return False
    return _PLACEHOLDER.fullmatch(value) is None and _ALREADY.fullmatch(value) is None


def _value_span(text: str, pos: int) -> tuple[int, int] | None:
    """Where the value that starts at ``pos`` lies: inside its quotes (escaped quotes at any
    depth), or a bare token (with the credential after a scheme word: ``ApiKey abc123``; up to
    the ``;`` in a connection string); None for a structure (``[``, ``{``) or nothing."""
    n = len(text)
    if pos >= n or text[pos] in "[{(\r\n":
        return None
    if text[pos] in "\\\"'`":
        m = _OPEN_QUOTE.match(text, pos)
        if m is None:
            return None
        escapes, quote = m.groups()
        start = m.end()
        if not escapes:
            return start, _STRING_BODY[quote].match(text, start).end()
        end = text.find(escapes + quote, start, start + 1024)
        return start, (end if end >= 0 else min(n, start + 1024))
    m = _BARE.match(text, pos)
    if m is None:
        return None
    end = m.end()
    if _SCHEME_WORD.match(text, pos, end) and _PLACEHOLDER.fullmatch(text, pos, end) is None:
        following = _NEXT_TOKEN.match(text, end)
        if following is not None:
            if text[pos - 1] != "=" and _PROSE_WORDS.fullmatch(text, pos, following.end()):
                return None  # "Invalid token: signature verification failed": a message
            end = following.end()
    elif end < n and text[end] in " \t" and text[pos - 1] == "=":
        rest = _TILL_SEMICOLON.match(text, end)  # Password=two words; in a connection string
        if rest is not None and rest.end() - end < 64:
            end = rest.end()
    return pos, end


_COMMAND_WORDS = ("mysql", "mariadb", "sshpass", "redis-cli", "curl")


def _spans(text: str) -> Iterator[tuple[int, int]]:
    """Every value to mask, as ``(start, end)``, in any order (overlaps are merged later). Each
    syntax is read only when the text has its mark (a separator, a flag, a tag, a quote)."""
    low = text.lower()
    if "=" in text or ":" in text:
        regexes = (_PAIR, _NAMED_VALUE) if "value" in low else (_PAIR,)
        for regex in regexes:
            for m in regex.finditer(text):
                verdict = _verdict(text, m.start(), m.group("name"))
                if not verdict:
                    continue
                if regex is _PAIR and m.group("sep") == ":" and _starts_line(text, m):
                    line = _LINE_VALUE.match(text, m.end())
                    span = (m.end(), line.end()) if line else None
                    if line is None or _BLOCK.fullmatch(line.group(0)):
                        span = _block(text, m, span)
                else:
                    span = _value_span(text, m.end())
                if span and _masks(verdict, text[slice(*span)]):
                    yield span
    if " -" in text or text.startswith("-"):
        for m in _FLAG.finditer(text):
            verdict = _name_verdict(m.group("name"))
            span = _value_span(text, m.end()) if verdict else None
            if span and _masks(verdict, text[slice(*span)]):
                yield span
        if any(command in low for command in _COMMAND_WORDS):
            for m in _COMMANDS.finditer(text):
                span = _value_span(text, m.end())
                if span:
                    yield span
    for span in credential_commands.spans(text, low, _name_verdict):
        if _PLACEHOLDER.fullmatch(text, *span) is None:  # echo "$DOCKER_PASSWORD" | ...
            yield span
    if "</" in text:
        for m in _TAG.finditer(text):
            if _masks(_name_verdict(m.group("name")), m.group("value")):
                yield m.span("value")
    if "'" in text and ("identified" in low or "password" in low):
        for m in _SQL.finditer(text):
            span = _value_span(text, m.end())
            if span and _PLACEHOLDER.fullmatch(text, *span) is None:
                yield span
    if _LONG_TOKEN.search(text) is not None or any(f" {c} " in low for c in _CONNECTIVES):
        yield from _prose(text)


# A YAML block scalar's indicator (``password: |``, ``secret: >-``): the value is the lines below.
_BLOCK = re.compile(r"[|>][-+0-9]*")


def _block(text: str, m: re.Match[str], span: tuple[int, int] | None) -> tuple[int, int] | None:
    """The lines below the pair ``m`` that are indented deeper than its own line (a block
    scalar, or a value written on the next line), from the end of ``m``; else ``span``."""
    start = text.rfind("\n", 0, m.start()) + 1
    own = len(text[start : m.start()]) - len(text[start : m.start()].lstrip(" \t-"))
    pos = text.find("\n", m.end())
    end = None
    while pos >= 0 and pos + 1 < len(text):
        line_end = text.find("\n", pos + 1)
        line = text[pos + 1 : len(text) if line_end < 0 else line_end]
        if line.strip() and len(line) - len(line.lstrip(" \t")) <= own:
            break
        end = len(text) if line_end < 0 else line_end
        pos = line_end
    return (m.end(), end) if end is not None else span


def _starts_line(text: str, m: re.Match[str]) -> bool:
    """The pair ``m`` opens a line of a document of several lines (YAML, HTTP headers), so its
    value runs to the end of the line (``password: correct horse battery staple``), unless the
    value is quoted or a structure, starts with a status word (``password: too short``: a
    message), or starts with a credential found already (``Basic [REDACTED]``). In a one-line
    text the value is one token: ``token: abc123 rejected by the server`` is a message."""
    pos = m.end()
    if "\n" not in text or text[pos : pos + 1] in ('"', "'", "`", "\\", "[", "{", ""):
        return False
    start = text.rfind("\n", 0, m.start()) + 1
    if text[start : m.start()].strip(" \t-"):
        return False
    first = _BARE.match(text, pos)
    if first is not None and _PLACEHOLDER.fullmatch(first.group(0)) is not None:
        return False
    return _ALREADY.match(text, pos) is None


def _prose(text: str) -> Iterator[tuple[int, int]]:
    """A secret word, then a value: after a verb (``is``, ``ist``, ...) any value with a digit
    or a symbol; within four words, a 16+ character token of letters and digits."""
    for m in _CANDIDATE.finditer(text):
        value = m.group(0).rstrip(".,;:!?")  # the sentence's punctuation is not the value's
        if REDACTED in value or not value:
            continue
        start = m.start()
        before = text[max(0, start - 64) : start].rsplit(None, 1)
        if len(before) == 2 and before[1].lower() in _CONNECTIVES:
            if not _WEAK.fullmatch(value) or _PLACEHOLDER.fullmatch(value):
                continue
            found = words.key_words(before[0])[-3:]
        elif _HEX_TOKEN.fullmatch(value) or looks_random(value, 16):
            head = " ".join(before)
            cut = max(head.rfind(c) for c in ".;!?\n") + 1
            found = words.key_words(head[cut:])[-4:]
        else:
            continue
        for i in range(len(found)):
            verdict = words.secret_words_verdict(found[i:])
            if verdict and not words.keeps(verdict, _value_of(value)):
                yield start, start + len(value)
                break


def mask_pairs(text: str) -> str:
    """``text`` with the value of every secret-named pair replaced by ``"[REDACTED]"`` (quotes
    kept), or ``text`` itself. Call only when ``HINT`` finds something in ``text``."""
    return redact_spans(text, list(_spans(text)))


def redact_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each ``(start, end)`` of ``spans`` replaced by ``"[REDACTED]"`` (spans
    that overlap become one), or ``text`` itself when there are none."""
    if not spans:
        return text
    spans = sorted(set(spans))
    merged = [list(spans[0])]
    for start, end in spans[1:]:
        if start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts = []
    pos = 0
    for start, end in merged:
        parts += (text[pos:start], REDACTED)
        pos = end
    parts.append(text[pos:])
    return "".join(parts)
