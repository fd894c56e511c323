"""Gunicorn settings for the ingest service (`cxloop serve`), from the CXLOOP_* environment.

Threads (gthread) suit this I/O-bound service: each request waits on the database and Redis.
The access log goes to stdout and shows the path without its query string, which may carry
cursors or filters naming people.
"""

from shared.settings import Settings

_settings = Settings.from_env()

bind = _settings.bind
workers = _settings.web_workers
threads = _settings.web_threads
worker_class = "gthread"
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = "-"
errorlog = "-"
control_socket_disable = True  # one per home directory would clash between instances
access_log_format = '%(t)s %(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'
