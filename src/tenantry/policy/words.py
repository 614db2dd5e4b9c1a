"""The words of the privacy rules, once: which key words name a secret, personal data or a measure.

Every rule that judges a name by its words reads them here: the property filters (``pii``), the
credential scanner's ``name=value`` pairs (``credentials``), the log redaction
(``policy.redact``) and ``tenantry lint``'s TNT003. A key is judged by its *words* (snake_case,
camelCase, kebab-case, dots and spaces split), never by substrings: ``keyboard_layout`` and
``monkey_count`` are innocent, ``userEmail`` and ``filePath`` are not.

A leaf module: it imports nothing of tenantry's.
"""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
# ... and, in a key that is not ASCII, a run of any other script's letters and marks ("пароль",
# "密码", "पासवर्ड": NFKC has made full-width punctuation ASCII).
_ANY_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+|[^\x00-\x7f]+")
# Latin letters that NFKD does not split into a base letter and an accent.
_FOLD = str.maketrans({"ł": "l", "Ł": "L", "ß": "ss", "ø": "o", "Ø": "O", "æ": "ae", "Æ": "AE",
                       "œ": "oe", "Œ": "OE", "đ": "d", "Đ": "D", "ı": "i", "ħ": "h", "ð": "d",
                       "Ð": "D", "þ": "th", "Þ": "Th"})  # fmt: skip

SECRET_WORDS = frozenset(
    {
        "apikey", "apikeys", "password", "passwords", "passwd", "pwd", "pw", "pass", "passphrase",
        "passcode", "pswd", "pword", "token", "secret", "secrets", "auth",
        "authorization", "cookie", "cookies", "cred", "creds", "credential", "credentials",
        "bearer", "sessiontoken", "accesstoken", "refreshtoken", "idtoken", "privatekey",
        "privkey", "secretkey", "accesskey", "session", "sessionid", "sessid", "phpsessid",
        "jsessionid", "sid", "signature", "sig", "otp", "totp", "hotp", "pin", "jwt", "csrf",
        "xsrf", "dsn", "connectionstring", "sas", "pat", "mnemonic", "cvv", "cvc",
        # other languages, as ``key_words`` spells them (accents folded): German, French,
        # Spanish, Catalan, Portuguese, Italian, Dutch, Polish, Turkish, Swedish, Danish,
        # Norwegian, Finnish, Czech, Hungarian, Croatian, Lithuanian, Estonian; Russian and
        # Ukrainian, Chinese, Japanese, Korean, Hebrew, Hindi, Thai
        "passwort", "kennwort", "geheim", "geheimnis", "motdepasse", "jeton", "contrasena",
        "contrasenya", "clave", "secreto", "senha", "segredo", "segreto", "wachtwoord",
        "haslo", "sifre", "losenord", "adgangskode", "passord", "salasana", "heslo", "jelszo",
        "lozinka", "slaptazodis", "parool", "пароль", "密码", "密碼", "口令", "パスワード",
        "暗証番号", "비밀번호", "암호", "סיסמה", "पासवर्ड", "รหัสผ่าน",
        # ... Italian, Romanian and Turkish, Slovenian, Bulgarian, Serbian and Macedonian,
        # Greek, Afrikaans, Icelandic, Portuguese (Portugal), Malay, Indonesian
        "parola", "geslo", "парола", "лозинка", "κωδικός", "κωδικος", "wagwoord", "lykilord",
        "palavrapasse", "katalaluan", "sandi",
        # words glued to a secret word that ``is_secret_words`` does not split (keytool's
        # ``-storepass``, ``AUTHTOKEN``), and what WireGuard, wpa_supplicant and session
        # cookies (``_gh_sess``) call a secret
        "storepass", "keypass", "srcstorepass", "deststorepass", "authtoken", "apitoken",
        "bottoken", "clientsecret", "appsecret", "psk", "sess",
    }
)  # fmt: skip
# A word that ends with one of these names a secret whatever comes before it (``dbpassword``,
# ``ROOTPASSWD``, ``slacktoken``); ``pass`` and ``pwd`` only after a word of ``GLUED_BEFORE``
# (``bypass``, ``compass`` and ``oldpwd`` are innocent).
GLUED_SUFFIXES = ("password", "passwd", "passphrase", "passwort", "token", "secret", "apikey")
GLUED_SHORT = ("pass", "pwd", "pw")
GLUED_BEFORE = frozenset(
    {
        "db", "root", "admin", "user", "mysql", "pg", "postgres", "redis", "mongo", "store",
        "key", "ftp", "smtp", "mail", "sudo", "vault", "wifi", "login", "master", "app", "api",
        "bot", "sa", "sys", "ldap", "proxy", "ssh", "git", "svc", "service",
    }
)  # fmt: skip
# Two adjacent words that together name a secret ("api key", "private_key", "session-id").
SECRET_PAIRS = frozenset(
    {
        ("api", "key"), ("private", "key"), ("secret", "key"), ("access", "key"),
        ("session", "id"), ("client", "secret"), ("signing", "key"), ("encryption", "key"),
        ("app", "key"), ("account", "key"), ("license", "key"), ("master", "key"),
        ("ssh", "key"), ("deploy", "key"), ("recovery", "key"), ("connection", "string"),
        ("consumer", "key"), ("admin", "key"), ("storage", "key"), ("shared", "key"),
        ("mfa", "code"), ("auth", "code"), ("verification", "code"), ("security", "code"),
        ("recovery", "code"), ("recovery", "codes"), ("backup", "code"), ("backup", "codes"),
        ("one", "time"), ("pass", "word"), ("pass", "phrase"), ("mot", "de"), ("de", "passe"),
        ("seed", "phrase"), ("webhook", "url"), ("hook", "url"),
        # other languages: Vietnamese "mat khau", Indonesian "kata sandi", Arabic, Persian
        ("mat", "khau"), ("kata", "sandi"), ("kata", "laluan"), ("palavra", "passe"), ("كلمة", "المرور"), ("كلمة", "السر"),
        ("رمز", "عبور"),
        # vendor headers and settings: Azure API Management (``Ocp-Apim-Subscription-Key``),
        # Azure Functions (``x-functions-key``), RapidAPI, WireGuard (``PresharedKey``), HMAC
        # and publishing keys; SAML assertions, PKCE and OAuth 1 verifiers, WordPress's
        # login cookie (``wordpress_logged_in_<hash>``)
        ("subscription", "key"), ("functions", "key"), ("function", "key"),
        ("rapidapi", "key"), ("preshared", "key"), ("hmac", "key"), ("publish", "key"),
        ("application", "key"), ("saml", "response"), ("code", "verifier"),
        ("oauth", "verifier"), ("wordpress", "logged"), ("wordpress", "sec"),
    }
)  # fmt: skip
# Parameter names that carry a credential in URLs although the word alone names no secret.
QUERY_WORDS = frozenset({"x-amz-signature", "x-goog-signature", "x-amz-credential"})
# Pay and the special categories of personal data (GDPR art. 9): a key with one of these names
# the data whatever word follows (``hiv_status``, ``religion_type``: not only its kind).
SPECIAL_WORDS = frozenset(
    {
        "salary", "income", "wage", "wages", "religion", "religious", "ethnicity", "ethnic",
        "diagnosis", "medication", "medications", "disability", "sexuality", "pregnancy",
        "pregnant", "sexual", "hiv", "racial", "nationality", "nationalities", "citizenship",
        "political", "politics", "icd", "icd9", "icd10", "icd11", "medical", "genetic",
        "genome", "dna", "criminal", "conviction", "convictions",
        "caste", "tribe", "faith", "beliefs", "immigration", "asylum", "refugee", "disease",
        "illness", "symptom", "symptoms", "prescription", "allergy", "allergies",
        "tradeunion", "marital", "blood", "bloodtype", "mental", "bmi", "yob", "creditscore",
        "affiliation", "voting", "hivstatus",
    }
)  # fmt: skip
PII_WORDS = frozenset(
    {
        # identity and contact
        "email", "emails", "mail", "name", "names", "firstname", "lastname", "fullname",
        "surname", "username", "nickname", "phone", "mobile", "tel", "telephone", "fax",
        "address", "addr", "street", "zip", "zipcode", "postcode", "postal", "city",
        "ssn", "dob", "birthday", "birthdate", "birth", "born", "age", "gender", "passport",
        "geburtsdatum", "geburtstag", "nacimiento", "naissance", "nascita",
        "license", "licence", "plate", "vin", "nin", "nino", "national", "citizen", "iban",
        "bic", "card", "cc", "cvv", "account", "person", "owner", "author", "contact", "nick",
        "displayname", "patient", "fname", "lname", "mname", "forename", "forenames",
        "givenname", "familyname", "maiden", "initials", "spouse", "assignee", "reviewer",
        "approver", "requester", "requestor", "employee", "invitee", "inviter", "attendee",
        "participant", "signatory", "beneficiary", "guardian", "nextofkin", "handle",
        "screenname", *SPECIAL_WORDS,
        # people by their relation to the one acting (a first name under any of these is a
        # person's): friends and family, colleagues, care, school, money, law, messages
        "friend", "friends", "colleague", "colleagues", "coworker", "coworkers", "teammate",
        "teammates", "classmate", "roommate", "neighbor", "neighbour", "boss", "supervisor",
        "mentor", "mentee", "husband", "wife", "boyfriend", "girlfriend", "fiance", "fiancee",
        "mother", "father", "mom", "dad", "son", "daughter", "sibling", "brother", "sister",
        "grandmother", "grandfather", "uncle", "aunt", "cousin", "nephew", "niece", "heir",
        "student", "students", "pupil", "teacher", "tutor", "doctor", "physician", "nurse",
        "therapist", "clinician", "dentist", "caregiver", "caretaker", "landlord", "buyer",
        "seller", "payer", "payee", "debtor", "creditor", "borrower", "lender", "passenger",
        "traveler", "traveller", "witness", "suspect", "victim", "defendant", "plaintiff",
        "lawyer", "attorney", "cardholder", "accountholder", "policyholder",
        "voter", "donor", "applicant", "interviewer", "interviewee",
        "recruiter", "actor", "addressee",
        "follower", "followers", "followee", "liker", "signer", "signee", "impersonator",
        "teamlead", "techlead", "kin",
        # identifiers
        "id", "ids", "uuid", "guid", "identifier", "ip", "ipv4", "ipv6", "mac", "imei",
        "fingerprint", "userid", "distinct", "imsi", "msisdn", "iccid", "serial", "ssid",
        "bssid",
        # places and machines
        "path", "paths", "file", "files", "filename", "filepath", "dir", "directory", "folder",
        "url", "urls", "uri", "link", "href", "host", "hostname", "domain", "location", "geo",
        "lat", "lon", "lng", "latitude", "longitude", "coordinates", "coords", "coord", "gps",
        "geohash", "apartment", "apt",
        # free text
        "content", "text", "query", "message", "msg", "body", "comment", "note", "notes",
        "description", "title", "subject", "prompt", "payload",
    }
)  # fmt: skip
# A key that ends with one of these describes personal data without holding it: "content_type",
# "email_format", "file_type", "ip_version" (the value is still judged as any value).
PII_DESCRIPTOR_WORDS = frozenset(
    {
        "type", "types", "kind", "format", "class", "category", "encoding", "language", "lang",
        "mime", "scheme", "version", "provider", "source", "status", "state", "mode", "method",
        "strategy", "policy", "enabled", "present", "valid", "verified",
    }
)  # fmt: skip
# Descriptors that name how the data is handled, not what it is: after a word of
# ``SPECIAL_WORDS`` they make a setting (``disability_enabled``); the others
# (``hiv_status``, ``religion_type``) name the person's own category.
SETTING_WORDS = PII_DESCRIPTOR_WORDS - {"type", "types", "kind", "class", "category", "status",
                                        "state", "source", "valid", "verified", "present"}  # fmt: skip
# A key that is (or ends with) one of these names a person: "user", "end_user", "customer".
PERSON_LAST_WORDS = frozenset({"user", "users", "customer", "member", "sender", "recipient"})
# Words that name personal data only as the whole key: a part of a person's name (``{"first":
# "Alice"}``), a person (``{"login": "jdoe"}``, ``{"who": "Alice"}``; ``login_attempts`` is about
# logging in), a special category (``race``; ``race_condition`` is no person's).
WHOLE_KEY_WORDS = frozenset(
    {"first", "last", "middle", "given", "family", "surname", "race", "login", "who", "whom",
     "mentioned", "union", "bcc"}
)  # fmt: skip
# Two adjacent words that name the person who did or received something: ``created_by``,
# ``assignedTo``, ``shared_with``, ``logged_in_as`` (``sort_by``, ``group_by``, ``caused_by``
# and ``triggered_by`` name no one, and are not here).
PERSON_PAIRS = frozenset(
    {
        *(
            (verb, "by")
            for verb in (
                "created", "updated", "modified", "edited", "deleted", "removed", "added",
                "owned", "assigned", "approved", "reviewed", "rejected", "requested",
                "submitted", "sent", "shared", "invited", "referred", "signed", "authored",
                "written", "uploaded", "posted", "published", "commented", "liked", "followed",
                "mentioned", "closed", "opened", "resolved", "merged", "claimed", "booked",
                "paid", "purchased", "bought", "sold", "hosted", "managed", "supervised",
                "accepted", "declined", "cancelled", "canceled", "archived", "restored",
                "banned", "blocked", "reported", "flagged", "completed", "joined", "viewed",
                "seen", "read", "answered", "called", "messaged", "contacted", "verified",
                "confirmed", "last", "first",
            )
        ),
        *(
            (verb, "to")
            for verb in (
                "assigned", "sent", "shared", "delegated", "addressed", "transferred", "paid",
                "given", "granted", "forwarded", "reassigned", "escalated", "married", "sold",
                "gifted", "referred", "replied", "reply", "mailed", "texted", "ship", "shipped",
                "shipping", "deliver", "delivered", "delivery",
            )
        ),
        *((verb, "with") for verb in ("shared", "chatted", "chatting", "talked", "met",
                                      "matched", "married", "messaged", "collaborated")),
        *((verb, "as") for verb in ("in", "logged", "login", "signed", "impersonating")),
        ("behalf", "of"),
        *((verb, "for") for verb in ("requested", "created", "booked", "reserved", "ordered")),
    }
)  # fmt: skip
# Words of a key that measure something (a count, a size, a duration, a time): an integer under
# such a key is a measurement even when it has as many digits as a phone number.
MEASURE_WORDS = frozenset(
    {
        "count", "counts", "num", "n", "total", "len", "length", "size", "sizes", "bytes",
        "byte", "kb", "mb", "gb", "kib", "mib", "gib", "bits", "chars", "characters", "tokens",
        "items", "rows", "lines", "words", "pages", "records", "events", "requests", "entries",
        "hits", "misses", "retries", "attempts", "errors", "results", "memories", "duration",
        "durations", "elapsed", "latency", "ms", "us", "ns", "millis", "msec", "sec", "secs",
        "seconds", "minutes", "mins", "hours", "days", "ttl", "timeout", "interval", "ts",
        "timestamp", "time", "epoch", "at", "since", "until", "offset", "limit", "max", "min",
        "avg", "mean", "sum", "p50", "p90", "p95", "p99", "rate", "usage", "quota", "capacity",
        "rss", "heap",
    }
)  # fmt: skip
# Words that turn an identifying key into a flag or a count: "has_email", "url_count" (not a
# time or a duration: "dob_ts", "age_days" stay personal).
COUNT_FIRST_WORDS = frozenset({"has", "is", "num", "n", "total"})
COUNT_LAST_WORDS = frozenset({"count", "counts", "len", "length", "size", "total", "num"})
# ... and a secret key into a flag or a measure: "token_count", "session_duration_ms".
MEASURE_FIRST_WORDS = COUNT_FIRST_WORDS | {"max", "min", "avg"}

# Names that name a secret only when their value looks like a key (``KEYISH``):
# a last word "key" (``SENTRY_KEY``, ``search_key``) unless the word before it names a kind of
# key that is no secret (``primary_key``, ``sort_key``), or a vendor's name (gitleaks' rules
# that find a token by the vendor's name before it: ``DATADOG_APP``, ``meraki = ...``).
WEAK_LAST_WORDS = frozenset({"key", "keys"})
INNOCENT_KEY_KINDS = frozenset(
    {
        "primary", "foreign", "public", "pub", "sort", "partition", "cache", "object", "bucket",
        "idempotency", "dedup", "dedupe", "row", "hash", "shard", "routing", "group", "lookup",
        "join", "composite", "unique", "natural", "surrogate", "index", "map", "dict", "schema",
        "field", "column", "attribute", "event", "message", "metric", "label", "translation",
        "i18n", "cursor", "page", "range", "s3", "blob", "file", "hot", "press", "keyboard",
        "music", "musical", "table", "record", "entity", "item", "sequence", "registry", "rate",
        "limit", "lock", "flag", "feature",
    }
)  # fmt: skip
VENDOR_WORDS = frozenset(
    {
        "adafruit", "adobe", "airtable", "algolia", "alibaba", "asana", "atlassian",
        "confluence", "jira", "beamer", "bitbucket", "bittrex", "meraki", "cloudflare",
        "codecov", "cohere", "coinbase", "confluent", "contentful", "datadog", "discord",
        "droneci", "dropbox", "etsy", "facebook", "fastly", "finicity", "finnhub", "flickr",
        "freshbooks", "gitter", "gocardless", "heroku", "hubspot", "intercom", "jfrog",
        "artifactory", "kraken", "kucoin", "launchdarkly", "linkedin", "mailchimp",
        "mailgun", "mapbox", "mattermost", "messagebird", "netlify", "newrelic", "nytimes",
        "okta", "plaid", "privateai", "rapidapi", "sendbird", "sentry", "snyk", "sonar",
        "squarespace", "sumo", "telegram", "travis", "twitch", "twitter", "yandex", "zendesk",
    }
)  # fmt: skip


def is_weak_secret_words(words: list[str]) -> bool:
    """The words name a secret when the value looks like a key: the last is ``key``/``keys``
    after no word of ``INNOCENT_KEY_KINDS``, or one is a vendor's name (``VENDOR_WORDS``)."""
    if not words:
        return False
    if words[-1] in WEAK_LAST_WORDS and (len(words) == 1 or words[-2] not in INNOCENT_KEY_KINDS):
        return len(words) > 1
    return any(w in VENDOR_WORDS for w in words)


# The words a name of several plain words is made of when it names an action or a property
# ("Memory Created", "Signed Up", "Memory Type"): past participles and verbs of product
# analytics (Segment's and Amplitude's event naming guides), particles, and the words of
# ``MEASURE_WORDS`` and ``PII_DESCRIPTOR_WORDS``. A name of plain words of which none is one of
# these ("Alice Okonkwo") is a person's name as far as the rule can tell.
ACTION_WORDS = frozenset(
    {
        "created", "updated", "deleted", "removed", "added", "viewed", "clicked", "opened",
        "closed", "started", "stopped", "finished", "completed", "failed", "succeeded",
        "submitted", "sent", "received", "shared", "searched", "selected", "saved", "loaded",
        "changed", "enabled", "disabled", "toggled", "signed", "logged", "registered",
        "subscribed", "unsubscribed", "invited", "joined", "left", "uploaded", "downloaded",
        "imported", "exported", "installed", "uninstalled", "upgraded", "downgraded",
        "activated", "deactivated", "canceled", "cancelled", "renewed", "paid", "purchased",
        "refunded", "ordered", "placed", "shipped", "delivered", "returned", "played",
        "paused", "resumed", "skipped", "scrolled", "hovered", "dismissed", "expanded",
        "collapsed", "copied", "pasted", "edited", "renamed", "moved", "archived", "restored",
        "published", "unpublished", "scheduled", "triggered", "retried", "timed", "expired",
        "verified", "confirmed", "approved", "rejected", "blocked", "reported", "flagged",
        "liked", "unliked", "followed", "unfollowed", "rated", "reviewed", "commented",
        "replied", "mentioned", "tagged", "assigned", "resolved", "reopened", "merged",
        "deployed", "built", "tested", "run", "ran", "called", "requested", "responded",
        "queued", "processed", "indexed", "synced", "connected", "disconnected", "linked",
        "unlinked", "authorized", "authenticated", "attempted", "reached", "exceeded",
        "hit", "missed", "generated", "rendered", "displayed", "shown", "hidden", "used",
        "applied", "filtered", "sorted", "grouped", "refreshed", "reset", "visited",
        "landed", "bounced", "converted", "onboarded", "churned", "trial", "view", "click",
        "open", "close", "start", "stop", "create", "update", "delete", "search", "select",
        "save", "load", "submit", "send", "share", "sign", "login", "logout", "signup",
        "checkout", "purchase", "install", "error", "warning", "success", "failure",
        "up", "in", "out", "on", "off", "down", "back", "over", "by", "of", "to", "with",
        "per", "from", "and", "or", "the", "a", "an", "new", "first", "last", "total",
        "page", "screen", "button", "link", "form", "modal", "dialog", "tab", "menu", "item",
        "memory", "memories", "event", "events", "session", "request", "response", "query",
        "result", "results", "feature", "flag", "plan", "api", "app", "user", "account",
        "project", "team", "workspace", "document", "file", "message", "task", "job",
        "step", "order", "product", "cart", "payment", "subscription", "report",
        "dashboard", "settings", "profile", "notification", "email", "model",
        "prompt", "chat", "tool", "agent", "call", "batch", "export", "import",
        # the adjectives of plans, themes and variants ("Starter-Plus", "Solarized-Dark")
        "dark", "light", "plus", "pro", "premium", "basic", "standard", "enterprise", "starter",
        "free", "default", "custom", "main", "primary", "secondary", "beta", "alpha", "preview",
        "classic", "modern", "compact", "mono", "sans", "serif", "high", "low", "medium",
        "small", "large", "auto", "manual", "legacy", "stable", "nightly", "contrast",
        # more of the verbs and nouns of product analytics (Segment's and Amplitude's specs,
        # SaaS and AI apps): a name of several words may hold one word outside this list
        "crashed", "backgrounded", "foregrounded", "entered", "denied", "granted", "revoked",
        "rebuilt", "rotated", "marked", "migrated", "provisioned", "suspended", "restarted",
        "rolled", "dropped", "accepted", "declined", "answered", "watched", "listened", "streamed",
        "embedded", "summarized", "translated", "transcribed", "application", "info", "coupon",
        "promotion", "wishlist", "video", "audio", "playback", "content", "ad", "ads", "spam",
        "webhook", "delivery", "key", "factor", "two", "three", "onboarding", "checklist",
        "tutorial", "integration", "vector", "index", "collection", "embedding", "embeddings",
        "invoice", "billing", "review", "comment", "post", "channel", "thread", "member", "role",
        "permission", "password", "token", "limit", "quota", "usage", "credit", "credits",
        "library", "template", "widget", "as", "for", "at", "into", "via", "not", "no", "all",
        "any", "flow", "code", "invite", "signin", "signout", "list", "detail", "details",
        "action", "rate", "runs", "pipeline", "workflow", "context", "data", "source",
        "destination", "connector", "sync", "schema", "table", "column", "row", "field", "value",
        "filter", "segment", "cohort", "funnel", "chart", "insight", "experiment", "variant",
        "survey", "feedback", "ticket", "support", "help", "docs",
    }
)  # fmt: skip


def reads_as_an_event(words: list[str]) -> bool:
    """A name of a few plain words that reads like an event or a property, not like a
    person's: at most one of ``words`` (lower case) is outside the vocabulary
    (``ACTION_WORDS``, ``MEASURE_WORDS``, ``PII_DESCRIPTOR_WORDS``). "Memory Created" and
    "Slack Integration Connected" are; "Alice Okonkwo signed up" and "Payment by Priya
    Lombardi" are not (two words of a name). A first name alone ("Alice signed up") is the
    documented limit of every single word."""
    return sum(w not in _VOCABULARY for w in words) <= 1 and names_an_action(words)


def names_an_action(words: list[str]) -> bool:
    """One of ``words`` (lower case) is an action, a particle or a word of product analytics,
    a measure or a descriptor (``ACTION_WORDS``, ``MEASURE_WORDS``, ``PII_DESCRIPTOR_WORDS``)."""
    return any(w in ACTION_WORDS or w in MEASURE_WORDS or w in PII_DESCRIPTOR_WORDS for w in words)


_VOCABULARY = ACTION_WORDS | MEASURE_WORDS | PII_DESCRIPTOR_WORDS

# Verdicts for keys: ``INNOCENT``; ``NAMED`` (the key's words name a secret, or personal data);
# ``MEASURE`` (they do, but as a flag or a measure: kept when the value is a number or a bool);
# ``WEAK`` (they name a secret only when the value looks like a key: ``is_weak_secret_words``).
INNOCENT, NAMED, MEASURE, WEAK = 0, 1, 2, 3
# A value that looks like a key: 16 or more letters, digits and ``+ / =`` with a letter and a
# digit, or a UUID (``SENTRY_KEY=9f86d081884c7d65...``, a Heroku key; ``sort_key=created_at``
# and ``channel=general-2024`` are no keys).
KEYISH = re.compile(
    r"(?=[A-Za-z+/=]*[0-9])(?=[0-9+/=]*[A-Za-z])[A-Za-z0-9+/=]{16,}"
    r"|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
)


def fold(text: str) -> str:
    """``text`` with the accents of Latin letters removed (``"contraseña"`` -> ``"contrasena"``,
    ``"hasło"`` -> ``"haslo"``), in NFKC; other scripts keep their marks (``"パスワード"``).
    ASCII text is returned as is."""
    if text.isascii():
        return text
    kept: list[str] = []
    for ch in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(ch) and kept and kept[-1].isascii():
            continue  # an accent on a Latin letter
        kept.append(ch)
    return unicodedata.normalize("NFKC", "".join(kept)).translate(_FOLD)


def key_words(key: str) -> list[str]:
    """``"userEmail"`` -> ``["user", "email"]``; ``"x-api-key"`` -> ``["x", "api", "key"]``;
    ``"Contraseña"`` -> ``["contrasena"]``; ``"пароль_db"`` -> ``["пароль", "db"]``."""
    if key.isascii():
        return [w.lower() for w in _WORD.findall(key)]
    return [w.lower() for w in _ANY_WORD.findall(fold(key))]


# Scripts written without spaces between words: a secret word is found inside a longer run
# ("用户密码", "user password").
_UNSPACED = re.compile("[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_UNSPACED_SECRET_WORDS: tuple[str, ...] = ()  # filled below, from SECRET_WORDS


def is_secret_words(words: list[str]) -> bool:
    """True when the words name a secret: one word (``password``), two adjacent ones
    (``api key``), or two that make one word when joined (``pass word``, ``mot de passe``)."""
    for i, w in enumerate(words):
        if w in SECRET_WORDS or _glued_secret(w):
            return True
        if not w.isascii() and _UNSPACED.search(w) and any(s in w for s in _UNSPACED_SECRET_WORDS):
            return True
        if i:
            prev = words[i - 1]
            if (prev, w) in SECRET_PAIRS or prev + w in SECRET_WORDS:
                return True
            if i > 1 and words[i - 2] + prev + w in SECRET_WORDS:  # mot_de_passe
                return True
    return False


_UNSPACED_SECRET_WORDS = tuple(w for w in SECRET_WORDS if _UNSPACED.search(w))


def _glued_secret(word: str) -> bool:
    """``word`` is a secret word glued to the word before it: it ends with one of
    ``GLUED_SUFFIXES`` after at least two letters, or with ``pass``/``pwd``/``pw`` after a word
    of ``GLUED_BEFORE`` (``dbpass``, ``ROOTPWD``)."""
    if len(word) < 5 or not word.isalpha():
        return False
    for suffix in GLUED_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 2:
            return True
    for suffix in GLUED_SHORT:
        if word.endswith(suffix) and word[: -len(suffix)] in GLUED_BEFORE:
            return True
    return False


def is_pii_words(words: list[str]) -> bool:
    """True when the words name personal data or an identifier (``user_email``, ``file_name``,
    ``end_user``), not only its kind (``content_type``, ``email_format``: ``PII_DESCRIPTOR_WORDS``)."""
    if not words:
        return False
    if words[-1] in PERSON_LAST_WORDS or (len(words) == 1 and words[0] in WHOLE_KEY_WORDS):
        return True
    described = len(words) > 1 and words[-1] in PII_DESCRIPTOR_WORDS
    if not (described and words[-1] in SETTING_WORDS) and _special(words):
        return True  # "hiv_status", "religion_type" ("disability_enabled" is a setting)
    if described:
        return False
    for i, w in enumerate(words):
        if w in PII_WORDS:
            return True
        if i and (words[i - 1] + w in PII_WORDS or (words[i - 1], w) in PERSON_PAIRS):
            return True  # "file_name" -> "filename", "user_id" -> "userid"; "created_by"
    return False


def is_count_words(words: list[str], first: frozenset[str], last: frozenset[str]) -> bool:
    """A flag or a measure: more than one word, the first in ``first`` or the last in ``last``."""
    return len(words) > 1 and (words[0] in first or words[-1] in last)


def secret_words_verdict(words: list[str]) -> int:
    """``NAMED`` when the words name a secret, ``MEASURE`` when they name it as a flag or a
    measure (``token_count``, ``has_password``, ``session_duration_ms``), else ``INNOCENT``."""
    if not is_secret_words(words):
        return INNOCENT
    return MEASURE if is_count_words(words, MEASURE_FIRST_WORDS, MEASURE_WORDS) else NAMED


def pii_words_verdict(words: list[str]) -> int:
    """``NAMED`` when the words name personal data or an identifier, ``MEASURE`` when they name
    it as a flag or a count (``has_email``, ``url_count``), else ``INNOCENT``. A flag or a count
    of a special category is the data itself (``is_pregnant``, ``hiv_test_count``): ``NAMED``."""
    if not is_pii_words(words):
        return INNOCENT
    if is_count_words(words, COUNT_FIRST_WORDS, COUNT_LAST_WORDS) and not _special(words):
        return MEASURE
    return NAMED


def _special(words: list[str]) -> bool:
    """One of ``words``, or two adjacent ones joined, is in ``SPECIAL_WORDS``."""
    return any(w in SPECIAL_WORDS for w in words) or any(
        a + b in SPECIAL_WORDS for a, b in zip(words, words[1:], strict=False)
    )


def is_measure_words(words: list[str]) -> bool:
    """The words name a count, a size, a duration or a time (``bytes``, ``duration_ms``,
    ``created_at``, ``max_items``)."""
    return bool(words) and (
        words[0] in MEASURE_FIRST_WORDS or any(w in MEASURE_WORDS for w in words)
    )


# The measure rule, the one place it is written: a value under a ``MEASURE`` key is kept when it
# is a number or a bool (``token_count=3``, ``has_password=True``), and removed otherwise.
NUMBER_TYPES = (int, float, bool)


def keeps(verdict: int, value: object) -> bool:
    """Whether a value survives its key's verdict: always under an innocent key, under a
    ``MEASURE`` key only as a number or a bool, under a ``WEAK`` key unless it is a string that
    looks like a key (``KEYISH``), never under a ``NAMED`` key."""
    if verdict == WEAK:
        return type(value) is not str or KEYISH.fullmatch(value.strip("\"'` ")) is None
    return verdict == INNOCENT or (verdict == MEASURE and type(value) in NUMBER_TYPES)
