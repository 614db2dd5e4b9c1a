"""One regex for many alternatives that each start with a literal, the literals as a prefix
tree: at each position the engine compares one character per branch instead of trying every
alternative (``tnt_``/``tns_`` share ``tn``), and skips in C the positions whose character
starts no literal. The scanners in ``credentials`` and ``credential_pairs`` are built with it."""

from __future__ import annotations

import re


def trie(items: list[tuple[str, str]]) -> str:
    """A regex matching any ``literal + tail`` of ``items`` (``tail`` a regex, may be empty);
    where one literal extends another, the longer is tried first."""
    root: dict = {}
    for literal, tail in items:
        node = root
        for ch in literal:
            node = node.setdefault(ch, {})
        node.setdefault("", []).append(tail)

    def build(node: dict) -> str:
        alts = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch]
        tails = node.get("", [])
        if "" in tails:  # a literal ends here: what follows is optional
            rest = alts + [t for t in tails if t]
            return f"(?:{'|'.join(rest)})?" if rest else ""
        alts += tails
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return build(root)
