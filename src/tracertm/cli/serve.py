"""``tracertm serve``: the HTTP API under uvicorn."""

from __future__ import annotations

import argparse
import re
from collections.abc import Generator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from tracertm.cli import EXIT_INTERNAL, EXIT_OK, _common, _Parser
from tracertm.cli.parsing import MAX_BYTES, bounded_int, nonblank
from tracertm.errors import UsageError

if TYPE_CHECKING:
    import socket

    import uvicorn

    from tracertm.api.app import ApiSettings


def register(verbs: argparse._SubParsersAction[_Parser]) -> None:
    p = verbs.add_parser("serve", help="serve the HTTP API (FastAPI + uvicorn)", parents=[_common()])
    p.add_argument("--host", default="127.0.0.1", type=nonblank("host"),
                   help="interface to bind (default: 127.0.0.1, this machine only)")
    p.add_argument("--port", type=bounded_int(0, 65535), default=8765, help="port (default: 8765; 0 = any free port)")
    p.add_argument("--workers", type=bounded_int(1, 512), default=1, help="worker processes (default: 1)")
    p.add_argument("--path", metavar="PATH", type=nonblank("path"),
                   help="repository whose project 'at/{commit}' may read git history from (default: current folder)")
    p.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN", type=browser_origin,
                   help="allow browser calls from this origin (repeat); no CORS without it")
    p.add_argument("--require-token-for-reads", action="store_true",
                   help="reads need a bearer token too (any scope); writes always do")
    p.add_argument("--max-body", type=bounded_int(1, MAX_BYTES), default=64 * 1024, metavar="BYTES",
                   help="largest request body accepted (default: 65536)")
    p.add_argument("--max-report-size", type=bounded_int(1, MAX_BYTES), default=64 * 1024 * 1024, metavar="BYTES",
                   help="largest test report uploaded to POST .../test-runs (default: 64 MiB)")
    p.add_argument("--proxy-headers", action="store_true",
                   help="trust X-Forwarded-* from --forwarded-allow-ips (behind a reverse proxy)")
    p.add_argument("--forwarded-allow-ips", default="127.0.0.1", metavar="IPS", type=nonblank("address list"),
                   help="proxies trusted for X-Forwarded-* (default: 127.0.0.1)")
    p.add_argument("--allowed-host", action="append", default=[], metavar="NAME", type=host_name,
                   help="also answer requests whose Host is NAME (repeat); on a loopback address without "
                        "--proxy-headers only localhost, 127.0.0.1 and [::1] are answered otherwise")
    p.add_argument("--log-level", default="info", choices=("critical", "error", "warning", "info", "debug"))
    p.set_defaults(func=_serve)


def browser_origin(value: str) -> str:
    """An argparse ``type``: ``scheme://host[:port]`` as a browser sends it in ``Origin`` (lower case, no default
    port), which the CORS check compares as text: ``https://dash.example/`` or a path would never match, and ``*``
    would let every web site read the API from its visitors' browsers (what the ``Host`` check keeps out). Any
    scheme a browser names an origin with: ``https``, an extension's ``chrome-extension://<id>``, an app's
    ``tauri://localhost``."""
    from urllib.parse import urlsplit

    nonblank("browser origin")(value)
    if value.strip() == "*":
        raise argparse.ArgumentTypeError("'*' would let every web site read this server from its visitors' browsers; "
                                         "name each origin that may (repeat the option)")
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        parts, port = None, None
    if (parts is None or not re.fullmatch(r"[a-zA-Z][a-zA-Z0-9+.-]*", parts.scheme) or not parts.hostname
            or parts.path or parts.query or parts.fragment or "@" in parts.netloc or parts.netloc.endswith(":")
            or "*" in parts.netloc):
        raise argparse.ArgumentTypeError(f"{value!r} is no browser origin; give scheme://host[:port] as the browser "
                                         "sends it (https://dash.example), without a path or a trailing slash")
    scheme, host = parts.scheme.lower(), parts.netloc.rsplit(":", 1)[0] if port is not None else parts.netloc
    default = {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{host.lower()}" + ("" if port is None or port == default else f":{port}")


def host_name(value: str) -> str:
    """An argparse ``type``: a host name as the ``Host`` check compares it (without a port): a URL, a path or a port
    would never match."""
    nonblank("host name")(value)
    name = value.strip()
    bracketed = name.startswith("[") and name.endswith("]")
    if not name or any(c.isspace() or c in "/@*" for c in name) or (":" in name and not bracketed):
        raise argparse.ArgumentTypeError(f"{value!r} is no host name; give the name alone, as a request's Host "
                                         "names it without its port (specs.example.com, [::1]; no wildcards)")
    return name


LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
# Seconds an idle keep-alive connection is kept (uvicorn's default, said here so that it is a decision): uvicorn has
# no timeout for reading a request's headers, so slow clients are a reverse proxy's job (README).
KEEP_ALIVE_S = 5


def allowed_hosts(host: str, proxied: bool, extra: list[str]) -> tuple[str, ...]:
    """The Host names the server answers (empty: any). Bound to a loopback address and not behind a proxy, only the
    loopback names, plus ``--allowed-host``: a web page whose DNS name is rebound to 127.0.0.1 sends its own name as
    the Host, and reads are open by default. Behind a proxy (``--proxy-headers``) or on another address, any Host,
    unless ``--allowed-host`` names some (then those and the loopback names)."""
    import ipaddress

    try:
        loopback = host.lower() == "localhost" or ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        loopback = False
    if extra or (loopback and not proxied):
        # The bound address as a Host names it (127.0.0.2, [::1] in another spelling): the URL ``serve`` prints.
        bound = host.strip("[]").lower()
        bound = f"[{bound}]" if ":" in bound else bound
        own = [bound] if loopback else []
        return tuple(dict.fromkeys([*LOOPBACK_NAMES, *own, *(name.strip().lower() for name in extra)]))
    return ()


# Connections the kernel queues before a worker accepts them (uvicorn's default backlog).
BACKLOG = 2048


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket the server runs on, bound here rather than by uvicorn: a port in use or a bad host is
    one line naming the option to change (exit 2; uvicorn says it in several log lines and exits 3), with no race
    between a check and uvicorn's own bind, and ``--port 0`` prints the port the system picked (the socket's).
    It listens at once, so a client that reads the printed URL is queued until the app has started, not refused.
    One address (the first ``host`` resolves to), as uvicorn's ``--workers`` binds; IPv6 alone on an IPv6 address,
    as asyncio binds it."""
    import errno
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else "not a valid host name"
        raise UsageError(f"--host {host}: not an address of this machine ({reason}); give an interface address, "
                         "e.g. 127.0.0.1 or 0.0.0.0") from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: TIME_WAIT is no conflict
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        # Each accepted connection inherits it (asyncio sets it on the connections of a socket it binds itself).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"--port {port}: already in use on {host}; pick another port (or 0 for any free "
                             "one) or stop the server using it") from None
        if exc.errno == errno.EACCES:
            raise UsageError(f"--port {port}: permission denied on {host} (ports below 1024 need privileges); "
                             "pick 1024 or higher") from None
        raise UsageError(f"--host {host}: cannot listen there ({exc.strerror}); give an address of this "
                         "machine, e.g. 127.0.0.1 or 0.0.0.0") from None
    sock.set_inheritable(True)  # the --workers processes serve it too
    return sock


def base_url(sock: socket.socket) -> str:
    """``http://ADDRESS:PORT`` of a listening socket: the address and port it is bound to (``--port 0``: the one
    the system picked), an IPv6 address in brackets."""
    address, port = sock.getsockname()[:2]
    return f"http://[{address}]:{port}" if ":" in address else f"http://{address}:{port}"


def served_repository(path: str | None) -> tuple[dict[str, str], str | None, str | None]:
    """What the server knows of the repository it runs in (``--path``, else around the current folder): the spec
    folder of the project synced from that folder by name (``ApiSettings.repositories``), the git work tree where
    the repository's other projects are found (``ApiSettings.repository``), and the configured database URL."""
    from tracertm.cli.records import repository_settings
    from tracertm.engine.naming import project_name

    found = repository_settings(path)
    if not found:
        return {}, None, None
    location, settings = found
    if location.top is None:
        return {}, None, settings.database_url
    # The project of the folder served by name; the repository's other projects (a spec root in a sub-folder:
    # ``tracertm sync sample-repo`` from the top) are found in it by their identity (api.repository).
    return {project_name(location, settings): str(location.root)}, str(location.top), settings.database_url


def _serve(args: argparse.Namespace) -> int:
    sock = _listen(args.host, args.port)
    try:
        return _run(args, sock)
    finally:
        sock.close()


def prepare(args: argparse.Namespace, sock: socket.socket) -> tuple[ApiSettings, dict[str, Any], str]:
    """What ``serve ARGS`` runs on ``sock``: the app's settings, uvicorn's options and the ready line. Connects and
    migrates once, here, so that a bad URL is one line and exit 2 before any worker starts."""
    from tracertm import db
    from tracertm.api.app import ApiSettings

    repositories, repository, configured = served_repository(args.path)
    api_settings = ApiSettings(
        database_url=args.database_url, configured_url=configured,
        read_token_required=args.require_token_for_reads, cors_origins=tuple(args.cors_origin),
        max_body_bytes=args.max_body, max_report_bytes=args.max_report_size, repositories=repositories,
        repository=repository, allowed_hosts=allowed_hosts(args.host, args.proxy_headers, args.allowed_host),
    )
    url, _ = db.resolve_database_url(args.database_url, configured)
    db.open_engine(args.database_url, configured).dispose()
    base = base_url(sock)
    ready = f"tracertm web view on {base}/ and API on {base}/api/v1 (database {db.redact(url)}); Ctrl-C stops it"
    # uvicorn serves the socket bound above (``fd``), in this process or in each of the --workers processes.
    common: dict[str, Any] = dict(
        fd=sock.fileno(), log_level=args.log_level, proxy_headers=args.proxy_headers,
        forwarded_allow_ips=args.forwarded_allow_ips, server_header=False, timeout_keep_alive=KEEP_ALIVE_S,
        backlog=BACKLOG,
    )
    return api_settings, common, ready


def _run(args: argparse.Namespace, sock: socket.socket) -> int:
    import os

    import uvicorn

    from tracertm.api.app import ENV_SETTINGS, create_app

    api_settings, common, ready = prepare(args, sock)
    if args.workers > 1:
        from uvicorn.supervisors import Multiprocess

        os.environ[ENV_SETTINGS] = api_settings.to_env()
        # ``uvicorn.run`` with workers, but the ready line is printed once the supervisor handles SIGINT and SIGTERM
        # (it takes them over when it is made: it queues them, and stops its workers when it reads the queue).
        # Printed before, a Ctrl-C right after it landed wherever uvicorn was, e.g. inside its logging set-up: a
        # lock released twice (exit 3), or the interrupt lost and the server running on, its workers orphaned
        # when it was killed.
        config = uvicorn.Config("tracertm.api.app:create_app_from_env", factory=True, workers=args.workers,
                                **common)
        supervisor = Multiprocess(config, sockets=[config.bind_socket()])
        print(ready, flush=True)
        supervisor.run()
        return EXIT_OK
    # ``uvicorn.run`` of one process, but the ready line is printed once uvicorn handles SIGINT and SIGTERM itself:
    # printed before, a Ctrl-C right after it (the app was still being built) interrupted the command (exit 130).
    server = _announcing(uvicorn.Config(create_app(api_settings), **common), ready)
    try:
        server.run()
    except KeyboardInterrupt:  # the SIGINT uvicorn raises again once it has shut down (as ``uvicorn.run`` does)
        pass
    return EXIT_OK if server.started else EXIT_INTERNAL  # (``uvicorn.run``: its startup failed, logged)


def _announcing(config: uvicorn.Config, line: str) -> uvicorn.Server:
    """A uvicorn server that prints ``line`` once its own signal handlers are in place (before its startup): from
    that line on, Ctrl-C and SIGTERM stop it gracefully (README, Stopping)."""
    import uvicorn

    class Announcing(uvicorn.Server):
        @contextmanager
        def capture_signals(self) -> Generator[None, None, None]:
            with super().capture_signals():
                print(line, flush=True)
                yield

    return Announcing(config)
