"""Memory of the policy's memos at their largest: ``python bench/memo_bytes.py``.

Each ``_memo.memoised`` memo is filled to its size with distinct keys as long as it keeps (its
``longest``, else 32 characters), and ``GatherIds``' memo with distinct pairs of IDs; the bytes
are what ``tracemalloc`` sees allocated while filling (keys, verdicts and the table: what the
memo keeps alive). ``CallIds.parts`` (one per set of IDs) is measured for one ``CallIds``.
"""

from __future__ import annotations

import gc
import tracemalloc

from tenantry.config import Settings
from tenantry.counters import Counters
from tenantry.policy import build_chain
from tenantry.policy._memo import Memo
from tenantry.policy.call_ids import _MEMO_SIZE, _PARTS_SIZE, CallIds, GatherIds


def _filled(fill) -> int:
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = fill()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del kept
    return after - before


def main(quick: bool = False) -> None:
    for edition in ("cloud", "opensource"):
        build_chain(
            Settings(edition=edition),
            secret=b"x" * 32,
            anonymous_id="anon_0",
            profile_lookup=None,
            counters=Counters(),
        )
    memos = [m for m in gc.get_objects() if type(m) is Memo]
    total = 0
    print(f"{'memo':48} {'entries':>8} {'key len':>8} {'bytes at max':>13}")
    for memo in memos:
        name = getattr(memo.compute, "__qualname__", repr(memo.compute))
        length = memo.longest or 32
        memo.clear()

        # the relay's context memo is keyed by (field, value); the others by the text
        as_key = (lambda text: ("version", text)) if name == "_judged" else (lambda text: text)

        def fill(memo=memo, length=length, as_key=as_key):
            for i in range(memo.size):
                memo[as_key(f"{i:0{length}d}")]
            return memo

        size = _filled(fill)
        total += size
        print(f"{name:48} {memo.size:8} {length:8} {size:13,}")
        memo.clear()
    ids = GatherIds([])
    draft = {"call_ids": None}

    def fill_ids():
        for i in range(_MEMO_SIZE):
            ids(dict(draft, user_id=f"user_{i:027d}", developer_id=f"dev_{i:028d}"))
        return ids

    size = _filled(fill_ids)
    total += size
    print(f"{'GatherIds (CallIds per set of IDs)':48} {_MEMO_SIZE:8} {32:8} {size:13,}")
    one = CallIds(("user_" + "1" * 27, "dev_" + "2" * 28))

    def fill_parts():
        for i in range(_MEMO_SIZE):
            one.holds_part(f"{i:08d}")
        return one

    parts = _filled(fill_parts)
    print(f"{'CallIds.parts (each CallIds)':48} {_PARTS_SIZE:8} {8:8} {parts:13,}")
    print(
        f"every memo full: {total / 2**20:.1f} MiB; plus up to {_MEMO_SIZE} x "
        f"{parts / 2**20:.2f} MiB of CallIds.parts in the worst case"
    )


if __name__ == "__main__":
    main()
