"""Leak vectors of a third probe (this project's own, after the review's): a person named by
their relation to the one acting, the special categories of personal data under keys that say
which one, and place and vehicle codes written with a separator.

- ``relation_keys``: a first name under a key that names a relation (``friend``, ``teammate``,
  ``teamMate``, ``my-doctor``, ``studentName``): every word of ``words.PII_WORDS`` that names a
  person, in snake, camel and kebab case, alone or after a prefix;
- ``actor_pairs``: a name or a handle under a key that names who did or received something
  (``created_by``, ``assignedTo``, ``shared-with``, ``logged_in_as``: ``words.PERSON_PAIRS``);
- ``special_category_keys``: the value of a special category of personal data under a key
  that names it, also before a word that would otherwise only name a kind (``hiv_status``,
  ``religion_type``, ``sexualOrientation``, ``icd10``, ``race``);
- ``separated_codes``: British and Canadian postcodes with ``-`` or ``_`` between their halves,
  German number plates (``B-MW-1234``);
- ``named_events``: a person's full name in an event name of plain words that also names an
  action ("Alice Okonkwo signed up", "Payment by Priya Lombardi", "Dr Smith visited").

Each class draws from ``random.Random(<class name>)``; ``KEPT`` lists keys of the same words
that name no one (``sort_by``, ``caused_by``, ``race_condition``, ``screen_orientation``),
whose values must still leave, and ``EVENT_NAMES`` realistic event names of several words
(Segment's spec, SaaS and AI apps), which must leave as they are.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from tests.policy.leak_vectors import DIGITS, Vector
from tests.policy.leak_vectors_unseen import FIRST, LAST, UPPER

RELATIONS = [
    "friend", "colleague", "coworker", "teammate", "classmate", "roommate", "neighbor",
    "neighbour", "boss", "supervisor", "mentor", "mentee", "husband", "wife", "boyfriend",
    "girlfriend", "fiance", "mother", "father", "mom", "dad", "son", "daughter", "sibling",
    "brother", "sister", "grandmother", "uncle", "aunt", "cousin", "nephew", "niece", "student",
    "pupil", "teacher", "tutor", "doctor", "physician", "nurse", "therapist", "dentist",
    "caregiver", "landlord", "buyer", "seller", "payer", "payee", "borrower", "lender",
    "passenger", "traveler", "witness", "victim", "defendant", "lawyer", "attorney",
    "cardholder", "policyholder", "resident", "voter", "donor", "applicant", "interviewer",
    "recruiter", "actor", "addressee", "follower", "signer", "teamlead", "kin",
]  # fmt: skip
SINGLE = ["login", "who", "whom", "mentioned", "race", "union", "bcc"]  # only as the whole key
PAIRS = [
    ("created", "by"), ("updated", "by"), ("modified", "by"), ("deleted", "by"),
    ("owned", "by"), ("assigned", "by"), ("approved", "by"), ("reviewed", "by"),
    ("requested", "by"), ("submitted", "by"), ("sent", "by"), ("shared", "by"),
    ("invited", "by"), ("referred", "by"), ("signed", "by"), ("uploaded", "by"),
    ("posted", "by"), ("closed", "by"), ("resolved", "by"), ("merged", "by"), ("paid", "by"),
    ("last", "by"), ("assigned", "to"), ("sent", "to"), ("shared", "to"), ("delegated", "to"),
    ("forwarded", "to"), ("transferred", "to"), ("escalated", "to"), ("reply", "to"),
    ("shared", "with"), ("chatted", "with"), ("matched", "with"), ("messaged", "with"),
    ("logged", "in", "as"), ("signed", "in", "as"), ("login", "as"), ("on", "behalf", "of"),
    ("shipping", "to"), ("deliver", "to"), ("requested", "for"), ("booked", "for"),
]  # fmt: skip
SPECIAL = [
    ("hiv", "positive"), ("religion", "muslim"), ("religious", "catholic"),
    ("sexual", "gay"), ("sexuality", "bisexual"), ("ethnicity", "hispanic"),
    ("ethnic", "roma"), ("racial", "asian"), ("race", "black"), ("nationality", "nigerian"),
    ("citizenship", "syrian"), ("political", "labour"), ("politics", "green"),
    ("icd10", "F32.1"), ("icd", "C50.9"), ("diagnosis", "diabetes"), ("medical", "epilepsy"),
    ("genetic", "BRCA1"), ("disability", "wheelchair"), ("pregnancy", "trimester2"),
    ("criminal", "felony"), ("immigration", "undocumented"), ("asylum", "pending"),
    ("caste", "dalit"), ("faith", "jewish"), ("disease", "hepatitis"), ("medication", "sertraline"),
    ("allergy", "penicillin"), ("prescription", "oxycodone"), ("salary", "95k"),
    ("trade_union", "unite"), ("genome", "BRCA2"), ("marital", "married"), ("blood", "AB+"),
    ("mental", "anxiety"), ("yob", "y1990"), ("credit_score", "712points"),
    ("affiliation", "labour"), ("voting", "green"),
]  # fmt: skip
SUFFIXES = ["", "status", "type", "category", "group", "value", "info", "result"]
# Keys of the same words that name no one: their values are kept.
KEPT = {
    "sort_by": "created_at", "group_by": "day", "order_by": "name", "partition_by": "month",
    "caused_by": "TimeoutError", "triggered_by": "cron", "race_condition": "detected",
    "screen_orientation": "landscape", "package_manager": "pip", "treatment": "variant_b",
    "health": "ok", "health_status": "healthy", "party_size": 4, "content_type": "text",
    "reply_format": "json", "sent_count": 3, "shared_at": "2026-01-02", "login_attempts": 3,
    "login_failed": True, "login_method": "password", "mentions_count": 2,
    "disability_enabled": True, "medical_app_enabled": False, "friend_count": 12,
    "resident_memory_mb": 512, "biometric_login": True, "placeholder": "none",
}  # fmt: skip


def _spell(words: list[str], i: int) -> str:
    """``words`` as a key: snake, camel, kebab, Title_Snake or SCREAMING_SNAKE."""
    form = i % 5
    if form == 0:
        return "_".join(words)
    if form == 1:
        return words[0] + "".join(w.capitalize() for w in words[1:])
    if form == 2:
        return "-".join(words)
    if form == 3:
        return "_".join(w.capitalize() for w in words)
    return "_".join(words).upper()


def _name(rng: random.Random, i: int) -> str:
    """A first name, a surname or a lower-case handle: one word, which only the key betrays."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return [first, last, first.lower(), f"{first[0]}{last}".lower(), f"{first.lower()}{i}"][i % 5]


def relation_keys() -> list[Vector]:
    rng = random.Random("relation_keys")
    out = []
    for i, relation in enumerate(RELATIONS):
        words = [[relation], ["my", relation], [relation, "name"], ["best", relation]][i % 4]
        if relation == "teammate" and i % 2:
            words = ["team", "mate"]  # camel-cased one word: teamMate
        name = _name(rng, i)
        props = {_spell(words, i): name} if i % 3 else {"ctx": {_spell(words, i): name}}
        out.append(Vector("relation_keys", props, (name,)))
    for i, key in enumerate(SINGLE):
        name = _name(rng, i)
        out.append(Vector("relation_keys", {_spell([key], i): name}, (name,)))
    return out


def actor_pairs() -> list[Vector]:
    rng = random.Random("actor_pairs")
    out = []
    for i, words in enumerate(PAIRS):
        name = _name(rng, i)
        props = {_spell(list(words), i): name, "type": "text"}
        out.append(Vector("actor_pairs", props, (name,)))
    return out


def special_category_keys() -> list[Vector]:
    out = []
    for i, (word, value) in enumerate(SPECIAL):
        suffix = SUFFIXES[i % len(SUFFIXES)]
        words = word.split("_") + ([suffix] if suffix and word != "race" else [])
        props = {_spell(words, i): value}
        out.append(Vector("special_category_keys", props, (value,)))
    # a flag or a count of a special category is the data itself
    for key, word in (("is_pregnant", "pregnant"), ("has_hiv", "hiv"), ("hiv_test_count", "hiv"),
                      ("hasDisability", "disability"), ("has_criminal_record", "criminal")):  # fmt: skip
        out.append(
            Vector("special_category_keys", {key: True if "count" not in key else 2}, (word,))
        )
    return out


def separated_codes() -> list[Vector]:
    rng = random.Random("separated_codes")
    out = []
    for i in range(24):
        sep = "-_"[i % 2]
        form = i % 3
        if form == 0:  # British: SW1A 1AA, M1 1AE
            area = "".join(rng.choice(UPPER) for _ in range(rng.choice((1, 2))))
            code = f"{area}{rng.choice(DIGITS[1:])}{rng.choice(UPPER)}{sep}{rng.choice(DIGITS)}"
            code += "".join(rng.choice("ABDEFGHJLNPQRSTUWXYZ") for _ in range(2))
        elif form == 1:  # Canadian: K1A 0B1
            code = f"{rng.choice('ABCEGHJKLMNPRSTVXY')}{rng.choice(DIGITS)}{rng.choice(UPPER)}{sep}"
            code += f"{rng.choice(DIGITS)}{rng.choice(UPPER)}{rng.choice(DIGITS)}"
        else:  # German plate: B-MW-1234
            district = "".join(rng.choice(UPPER) for _ in range(rng.choice((1, 2, 3))))
            letters = "".join(rng.choice(UPPER) for _ in range(rng.choice((1, 2))))
            code = f"{district}-{letters}-{rng.randrange(1, 9999)}"
        code = code.lower() if i % 4 == 3 and form != 2 else code
        out.append(Vector("separated_codes", {"where": code, "n": i}, (code,)))
    return out


def named_events() -> list[Vector]:
    rng = random.Random("named_events")
    out = []
    for i in range(24):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = [f"{first} {last} signed up", f"Payment by {first} {last}", f"Dr {last} visited",
                f"Invoice sent to {first} {last}", f"{first} {last} Created",
                f"Memory shared with {first} {last}", f"{last} {first} logged in",
                f"Message from {first} {last} received"][i % 8]  # fmt: skip
        frag = last if "Dr " in name else f"{first} {last}" if i % 8 != 6 else f"{last} {first}"
        out.append(Vector("named_events", {"type": "text"}, (frag,), event=name))
    return out


EVENT_NAMES = """Application Installed|Application Opened|Application Backgrounded|Application Crashed
|Products Searched|Product List Viewed|Promotion Clicked|Product Added|Cart Viewed|Checkout Started
|Checkout Step Completed|Payment Info Entered|Order Completed|Order Refunded|Coupon Applied
|Coupon Denied|Product Added to Wishlist|Product Reviewed|Video Playback Started|Video Ad Started
|Email Marked as Spam|Email Link Clicked|Account Created|Signed Up|Signed In|Invite Sent
|Trial Started|Plan Upgraded|Invoice Payment Failed|Webhook Delivery Failed|Memory Created
|Memory Embedding Generated|API Key Created|API Key Revoked|Team Member Invited|Workspace Created
|Document Uploaded|Report Generated|Settings Changed|Password Reset Requested|Two Factor Enabled
|Onboarding Checklist Completed|Feature Flag Toggled|Chat Message Sent|Agent Run Completed
|Tool Call Failed|Prompt Submitted|Rate Limit Exceeded|Slack Integration Connected
|Stripe Checkout Completed|Notification Dismissed|Tutorial Skipped|Vector Index Rebuilt
|Collection Created|Page Viewed|Button Clicked|Form Submitted|Session Started""".replace(
    "\n", ""
).split("|")


CLASSES: tuple[Callable[[], list[Vector]], ...] = (
    relation_keys, actor_pairs, special_category_keys, separated_codes, named_events,
)  # fmt: skip


def corpus() -> Iterator[Vector]:
    """Every vector that must not leak, class by class."""
    for make in CLASSES:
        yield from make()
