"""Size limits shared by the library and the relay, so that what one produces the other accepts.

The library truncates event names and IDs to these lengths and its ``relay`` destination splits
requests at ``MAX_EVENTS_PER_REQUEST`` events and ``MAX_BODY_BYTES`` bytes; the relay rejects
(per event, never per batch) what goes beyond them. Plain constants: no third-party import.
"""

from __future__ import annotations

MAX_EVENT_NAME = 256  # characters in an event name
MAX_ID = 256  # characters in a user or developer ID
MAX_UUID = 64  # characters in a client's event uuid field
MAX_EVENTS_PER_REQUEST = 1000  # events in one relay request
MAX_BODY_BYTES = 1024 * 1024  # one relay request body
MAX_ANONYMOUS_ID = 200  # characters in an installation's anonymous ID
