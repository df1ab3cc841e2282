"""The embedded broker: kombu's filesystem transport, with each message written atomically.

kombu writes a message file in place, so a consumer on another thread or process can move it
away while it is still empty: the read fails and the message is gone. Here the payload is
written under a name no consumer looks for, then renamed into place in one step.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class AtomicChannel(filesystem.Channel):
    # kombu's two base classes name the second argument differently; any name breaks one.
    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        folder = self.data_folder_out
        incoming = os.path.join(folder, f".incoming-{uuid.uuid4()}")
        try:
            with open(incoming, "wb") as file:
                file.write(str_to_bytes(dumps(payload)))
            os.replace(incoming, os.path.join(folder, name))
        except OSError as error:
            raise filesystem.ChannelError(f"cannot add a message to {folder!r}") from error


class AtomicFilesystemTransport(filesystem.Transport):
    Channel = AtomicChannel
