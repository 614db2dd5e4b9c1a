"""The acknowledgements' side in memory: where each spooled event that is not acked yet sits,
and which of those events each segment still holds, so that the spool knows the moment a
segment may go (every record in it acked) and what a deleted segment took with it.
[Vector ``disk_v2/acknowledgements.rs``] Not locked: the spool's lock guards every call.
"""

from __future__ import annotations

from collections.abc import Iterable

Position = tuple[int, int]  # segment id, byte offset


class Unacked:
    def __init__(self) -> None:
        self._where: dict[str, Position] = {}  # uuid -> position
        self._live: dict[int, set[str]] = {}  # segment -> its unacked uuids

    def __len__(self) -> int:
        return len(self._where)

    def __contains__(self, uuid: str) -> bool:
        return uuid in self._where

    def place(self, uuid: str, position: Position) -> None:
        self._where[uuid] = position
        self._live.setdefault(position[0], set()).add(uuid)

    def holds(self, seg: int) -> bool:
        """True while segment ``seg`` has a record not yet acked."""
        return bool(self._live.get(seg))

    def positions(self, uuids: Iterable[str]) -> list[Position]:
        """The positions of those of ``uuids`` that are spooled and not acked."""
        where = self._where
        return [where[u] for u in uuids if u in where]

    def ack(self, uuids: Iterable[str]) -> tuple[list[Position], set[int]]:
        """Forget ``uuids``: their positions (those that were unacked) and the segments that
        hold no unacked record any more."""
        positions = []
        emptied = set()
        where, live = self._where, self._live
        for u in uuids:
            pos = where.pop(u, None)
            if pos is None:
                continue
            positions.append(pos)
            held = live.get(pos[0])
            if held is not None:
                held.discard(u)
                if not held:
                    emptied.add(pos[0])
        return positions, emptied

    def drop_segment(self, seg: int) -> int:
        """Segment ``seg`` is gone (the disk budget): forget its events; how many there were."""
        lost = self._live.pop(seg, set())
        for u in lost:
            self._where.pop(u, None)
        return len(lost)
