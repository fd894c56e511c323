"""Container health probes: `healthcheck.py web` or `healthcheck.py worker SERVICE`; 0 = healthy.

The web probe asks /healthz (liveness only: a database outage must not get every web container
restarted; /readyz is for the load balancer). The worker probe pings the Celery worker of this
container by node name over the broker, so a worker that is alive but wedged is reported too.
"""

from __future__ import annotations

import socket
import sys
import urllib.error
import urllib.request

from shared.settings import Settings


def web_url(bind: str, path: str = "/healthz") -> str:
    """Local URL of the web process bound at `bind` (host:port; 0.0.0.0 means this host)."""
    host, _, port = bind.rpartition(":")
    if host in ("", "0.0.0.0", "[::]", "::"):
        host = "127.0.0.1"
    return f"http://{host}:{port}{path}"


def check_web(settings: Settings, timeout_s: float = 3.0) -> bool:
    """Return whether the ingest web process answers /healthz with 200."""
    try:
        with urllib.request.urlopen(web_url(settings.bind), timeout=timeout_s) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def check_worker(
    settings: Settings, service: str, hostname: str | None = None, timeout_s: float = 3.0
) -> bool:
    """Return whether a worker of SERVICE on this host (`SERVICE-<pid>@hostname`) answers a ping.

    The ping goes to every worker; several of one service may run on one host.
    """
    from shared.celery_app import create_celery

    app = create_celery(settings)
    host = hostname or socket.gethostname()
    try:
        replies = app.control.ping(timeout=timeout_s)
    except OSError:
        return False
    finally:
        app.close()
    return any(_is_worker_of(node, service, host) for reply in replies for node in reply)


def _is_worker_of(node: str, service: str, host: str) -> bool:
    name, _, node_host = node.partition("@")
    return node_host == host and name.rpartition("-")[0] == service


def main(argv: list[str]) -> int:
    """Run the probe named on the command line; 0 healthy, 1 not, 2 usage."""
    settings = Settings.from_env()
    if argv[:1] == ["web"]:
        return 0 if check_web(settings) else 1
    if len(argv) == 2 and argv[0] == "worker":
        return 0 if check_worker(settings, argv[1]) else 1
    print("usage: healthcheck.py web | worker SERVICE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
