"""Running the web app under uvicorn, in one process or several, and stopping it promptly."""

from __future__ import annotations

import asyncio

import uvicorn
from uvicorn.supervisors import multiprocess

STOP_GRACE = 1.0  # seconds requests under way may take to finish when the server is stopped


class Server(uvicorn.Server):
    """On Ctrl-C or SIGTERM, requests under way get STOP_GRACE seconds to finish; then the connections still
    open are closed (a text stream may have minutes to go), which ends their work, and the server stops."""

    async def shutdown(self, sockets=None):
        asyncio.get_running_loop().call_later(STOP_GRACE, self.close_connections)
        await super().shutdown(sockets)

    def close_connections(self):
        for connection in list(self.server_state.connections):
            connection.transport.close()


class Worker(multiprocess.Process):
    """One of several server processes, stopping as Server does."""

    @property
    def server(self) -> Server:
        if self._server is None:
            self._server = Server(config=self.config)
        return self._server


def run(config: uvicorn.Config) -> None:
    """Serve until stopped: in this process, or in config.workers processes sharing one socket, which uvicorn's
    supervisor starts (and starts again if one dies)."""
    if config.workers == 1:
        Server(config).run()
        return
    multiprocess.Process = Worker  # the supervisor makes, and remakes, its workers by this name
    multiprocess.Multiprocess(config, sockets=[config.bind_socket()]).run()
