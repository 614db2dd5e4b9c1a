"""Bounded answers: the rows beyond the top N, or groups too small to show, become ``other``.

Two rules, one word (``other``):

- **Top N** (``Fold``): a report answers at most N groups of its ``key`` (event names, end
  users, developers); the rest are summed into ``other`` rows, so 800,000 distinct event names
  answer 1,001 rows, not 27 MB. Rankings are cut in SQL (``LIMIT``) and the remainder is the
  query's total minus what was kept; rows keyed by developer (at most as many as the operator
  created) are folded here, per remaining group (``by``: the date, the route ...).
- **k-anonymity** (``suppress_small_groups``): in the opensource distributions, a group seen by
  fewer than ``min_group_size`` installations is never shown on its own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

OTHER = "other"


@dataclass(frozen=True, slots=True)
class Fold:
    """How a query's rows are bounded. ``key``: the column whose values beyond the top N are
    folded into ``other``; ``sums``: the columns summed into the ``other`` rows (the first one
    ranks the keys; columns neither summed nor in ``by``, such as percentiles, are None there);
    ``total``: SQL of one row holding ``sums`` over the whole scope, for queries ordered by
    ``sums[0]`` descending (cut in SQL); ``by``: the columns ``other`` rows are grouped by, for
    the queries folded in Python."""

    key: str
    sums: tuple[str, ...]
    total: str | None = None
    by: tuple[str, ...] = ()


def fold_ranked(rows: list[dict], fold: Fold, top: int, totals: tuple | None) -> list[dict]:
    """``rows`` (at most ``top`` + 1, ordered by ``fold.sums[0]`` descending): the first ``top``,
    plus one ``other`` row holding ``totals`` minus what was kept when there were more."""
    if len(rows) <= top or totals is None:
        return rows
    kept = rows[:top]
    other = dict.fromkeys(kept[0])
    other[fold.key] = OTHER
    for col, total in zip(fold.sums, totals, strict=True):
        other[col] = int(total or 0) - sum(int(r[col] or 0) for r in kept)
    return [*kept, other]


def fold_keys(rows: list[dict], fold: Fold, top: int) -> list[dict]:
    """Keep the rows of the ``top`` keys with the largest ``fold.sums[0]`` in total; the other
    keys' rows are summed per ``fold.by`` group into rows keyed ``other`` (after the kept rows,
    in the order their groups first appear)."""
    weight: dict[Any, float] = defaultdict(float)
    for row in rows:
        weight[row[fold.key]] += row[fold.sums[0]] or 0
    if len(weight) <= top:
        return rows
    keep = set(sorted(weight, key=lambda k: (-weight[k], str(k)))[:top])
    out = [row for row in rows if row[fold.key] in keep]
    others: dict[tuple, dict] = {}
    for row in rows:
        if row[fold.key] in keep:
            continue
        group = tuple(row[c] for c in fold.by)
        other = others.get(group)
        if other is None:
            other = others[group] = dict.fromkeys(row)
            other[fold.key] = OTHER
            for col in fold.by:
                other[col] = row[col]
            for col in fold.sums:
                other[col] = 0
        for col in fold.sums:
            other[col] += row[col] or 0
    return out + list(others.values())


def suppress_small_groups(rows: list[tuple], min_group_size: int) -> list[tuple[Any, int]]:
    """Fold groups seen by fewer than ``min_group_size`` distinct ids into one ``other`` row.
    ``rows`` are ``(key, count, distinct_ids)``; the result is ``(key, count)``, count desc,
    ``other`` last."""
    kept = [(k, int(n)) for k, n, ids in rows if ids >= min_group_size]
    folded = sum(int(n) for _, n, ids in rows if ids < min_group_size)
    kept.sort(key=lambda r: (-r[1], str(r[0])))
    if folded:
        kept.append((OTHER, folded))
    return kept
