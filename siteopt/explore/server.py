"""Serving the explorer: one local web server, safe by default.

- It listens on 127.0.0.1 unless told otherwise (``--host``).
- Every HTTP and websocket request is checked before the app sees it: its ``Host`` must name
  this server (no DNS rebinding) and an ``Origin``, when sent, must be this server's own
  (another site's page cannot drive the app or read its answers). Other requests get 403.
- Every script, style sheet and font comes from the server itself (Bokeh's and Panel's
  bundled resources); nothing is fetched from the network.
"""

from __future__ import annotations

import ipaddress
import logging
from urllib.parse import urlsplit

from tornado import httputil

#: Addresses that mean "every interface".
ANY_ADDRESS = ("0.0.0.0", "::", "")


def allowed_hosts(address: str, port: int) -> set[str]:
    """The ``Host`` values (``host:port``) under which this server may be reached; empty when
    it listens on every interface (then any host name is taken)."""
    if address in ANY_ADDRESS:
        return set()
    names = {address, f"[{address}]"}
    if address in ("127.0.0.1", "::1", "localhost"):
        names |= {"localhost", "127.0.0.1", "[::1]"}
    return {f"{name}:{port}" for name in names}


def request_allowed(headers, hosts: set[str]) -> bool:
    """Whether a request may reach the app: its Host is one of ``hosts`` (any when empty)
    and its Origin, if any, is ``http://`` plus that Host."""
    host = headers.get("Host", "")
    if hosts and host not in hosts:
        return False
    origin = headers.get("Origin")
    if origin is None:
        return True
    parts = urlsplit(origin)
    return parts.scheme == "http" and parts.netloc == host


class _Refused(httputil.HTTPMessageDelegate):
    """Answers 403 and drops the request's body."""

    def __init__(self, connection):
        self.connection = connection

    def finish(self) -> None:
        body = b"siteopt explorer: request refused (wrong Host or Origin)\n"
        self.connection.write_headers(
            httputil.ResponseStartLine("HTTP/1.1", 403, "Forbidden"),
            httputil.HTTPHeaders({"Content-Type": "text/plain", "Content-Length": str(len(body)),
                                  "Connection": "close"}), body)
        self.connection.finish()


class _Checked(httputil.HTTPMessageDelegate):
    """Passes a request on to the app once its headers pass :func:`request_allowed`."""

    def __init__(self, guard, server_connection, connection):
        self.guard, self.server_connection, self.connection = guard, server_connection, connection
        self.inner = None

    def headers_received(self, start_line, headers):
        if request_allowed(headers, self.guard.hosts):
            self.inner = self.guard.app.start_request(self.server_connection, self.connection)
        else:
            self.inner = _Refused(self.connection)
            return None
        return self.inner.headers_received(start_line, headers)

    def data_received(self, chunk):
        if not isinstance(self.inner, _Refused):
            return self.inner.data_received(chunk)
        return None

    def finish(self):
        self.inner.finish()

    def on_connection_close(self):
        if self.inner is not None:
            self.inner.on_connection_close()


class OriginGuard(httputil.HTTPServerConnectionDelegate):
    """Sits between Tornado's HTTP server and the app; see :func:`request_allowed`."""

    def __init__(self, app, hosts: set[str]):
        self.app, self.hosts = app, hosts

    def start_request(self, server_connection, request_connection):
        return _Checked(self, server_connection, request_connection)

    def on_close(self, server_connection):
        self.app.on_close(server_connection)


def host_warning(address: str) -> str:
    """What to say when the explorer listens beyond this machine ("" for loopback)."""
    if address == "localhost":
        return ""
    try:
        if address not in ANY_ADDRESS and ipaddress.ip_address(address).is_loopback:
            return ""
    except ValueError:
        pass
    reach = "every machine that can reach this one" if address in ANY_ADDRESS else \
        f"every machine that can reach {address}"
    return (f"warning: the explorer listens on {address or 'every interface'}: {reach} can "
            f"use it and download its answers; there is no login. Use it only on a network "
            f"you trust, or leave out --host.")


def make_server(explorer, address: str = "127.0.0.1", port: int = 0):
    """A Bokeh server for the explorer (not started), guarded by :class:`OriginGuard`.

    The server draws its figures (report.html's maps, the weight ranges) in worker threads,
    so matplotlib is switched to its Agg backend: a window toolkit's backend (TkAgg, QtAgg,
    macOS), which a desktop's matplotlib may pick, needs the main thread.

    Returns
    -------
    bokeh.server.server.Server
        Its ``port`` is the port it listens on (a free one for ``port=0``).
    """
    import matplotlib
    import panel as pn

    matplotlib.use("Agg")

    from siteopt.explore.app import ExplorerPage

    def page():
        return ExplorerPage(explorer).layout

    # every origin passes Bokeh's own websocket check: the guard has checked it already
    # (Bokeh warns about the wildcard; the guard makes it safe)
    quiet = logging.getLogger("bokeh.server.util")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        server = pn.serve({"/": page}, port=port, address=address, show=False, start=False,
                          title="siteopt explorer", websocket_origin=["*"], verbose=False)
    finally:
        quiet.setLevel(level)
    hosts = allowed_hosts(address, server.port)
    server._http.request_callback = OriginGuard(server._tornado, hosts)
    server.io_loop.asyncio_loop.set_exception_handler(closed_tab_writes_ignored)
    return server


def closed_tab_writes_ignored(loop, context: dict) -> None:
    """The server loop's handler of errors nobody awaited: a message still being sent to a tab
    that closed meanwhile (Tornado's ``WebSocketClosedError``, which asyncio would print as
    "Task exception was never retrieved" with a traceback in the terminal) is expected, and
    dropped; anything else is reported as asyncio reports it."""
    from tornado.iostream import StreamClosedError
    from tornado.websocket import WebSocketClosedError

    if isinstance(context.get("exception"), (WebSocketClosedError, StreamClosedError)):
        return
    loop.default_exception_handler(context)
