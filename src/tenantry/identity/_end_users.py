"""End users: a developer's own user IDs (external IDs) and the ``usr_`` IDs they map to.

Part of ``IdentityStore`` (a base class of it): works on the store's engine and end-user cache.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from tenantry.errors import InvalidInput, NotFound
from tenantry.identity._base import MAX_EXTERNAL_ID, new_id, utcnow
from tenantry.identity._cache import TTLCache
from tenantry.identity._schema import end_users


class EndUsers:
    """``usr_`` IDs by (developer, external ID), created on first sight."""

    _engine: Engine
    _dialect: str
    _end_users: TTLCache  # (developer_id, external_id) -> usr_ ID

    def resolve_end_user(self, developer_id: str, external_id: str) -> str:
        """The ``usr_`` ID for a developer's external user ID, created on first sight.

        Safe under concurrency on both backends: INSERT ... ON CONFLICT DO NOTHING RETURNING id,
        then SELECT when another writer won the race.
        """
        if isinstance(external_id, int) and not isinstance(external_id, bool):
            external_id = str(external_id)
        if (
            not isinstance(external_id, str)
            or not external_id
            or len(external_id) > MAX_EXTERNAL_ID
        ):
            raise InvalidInput(
                f"external user ID must be a non-empty string of at most {MAX_EXTERNAL_ID} characters"
            )
        cache_key = (developer_id, external_id)
        found = self._end_users.get(cache_key)
        if found is not None:
            return found
        found = self._find_end_user(developer_id, external_id)
        if found is None:
            try:
                with self._engine.begin() as conn:
                    found = conn.execute(
                        self._insert_ignoring_conflict(
                            end_users,
                            ["developer_id", "external_id"],
                            id=new_id("usr_"),
                            developer_id=developer_id,
                            external_id=external_id,
                            created_at=utcnow(),
                        ).returning(end_users.c.id)
                    ).scalar()  # None when another writer won the race: then read theirs
            except IntegrityError:  # the foreign key: the developer does not exist
                raise NotFound("no such developer") from None
            if found is None:
                found = self._find_end_user(developer_id, external_id)
            if found is None:  # pragma: no cover - deleted between insert and select
                raise NotFound("end user vanished while being created")
        self._end_users.set(cache_key, found)
        return found

    def external_ids(self, developer_id: str, end_user_ids: list[str]) -> dict[str, str]:
        """``{usr_ ID: the developer's external ID}`` for those of ``end_user_ids`` that belong
        to ``developer_id`` (another developer's end users are simply not found)."""
        found: dict[str, str] = {}
        wanted = sorted({u for u in end_user_ids if isinstance(u, str)})
        with self._engine.connect() as conn:
            for i in range(0, len(wanted), 500):
                rows = conn.execute(
                    select(end_users.c.id, end_users.c.external_id).where(
                        end_users.c.developer_id == developer_id,
                        end_users.c.id.in_(wanted[i : i + 500]),
                    )
                )
                found.update({row.id: row.external_id for row in rows})
        return found

    def _find_end_user(self, developer_id: str, external_id: str) -> str | None:
        with self._engine.connect() as conn:
            return conn.execute(
                select(end_users.c.id).where(
                    end_users.c.developer_id == developer_id,
                    end_users.c.external_id == external_id,
                )
            ).scalar()

    def _insert_ignoring_conflict(self, table: Any, conflict: list[str], **values: Any) -> Any:
        if self._dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table).values(**values).on_conflict_do_nothing(index_elements=conflict)
