"""Gunicorn settings for production: threads, because every open live screen holds one.

    gunicorn -c gunicorn.conf.py 'storytime:create_app()'

A live screen (dashboard or display) keeps one HTTP request open for minutes (Server-Sent
Events). A sync worker serves one request at a time, so one screen would block a whole
worker; the gthread worker gives each worker a pool of threads instead. Size
workers x threads for the screens open at once, plus room for ordinary requests.
Several workers (or machines) need STORYTIME_REDIS_URL so a share saved by one wakes the
streams held by the others. See docs/deploy.md, "Serving live screens".
"""

import os
import sys

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "100"))
# gthread's timeout is the worker's heartbeat, not a request limit: streams may outlive it.
timeout = 60
graceful_timeout = 30
keepalive = 75
# Streams end by themselves after STREAM_MAX_SECONDS; recycling workers now and then is fine.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "500"))
# No preload_app: the Redis listener is a thread, and threads do not survive fork().
# Migrate once before starting (flask --app storytime db upgrade); on PostgreSQL workers
# never migrate by themselves.
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


# A stopping worker (reload, stop, max_requests) ends its live streams at once, so it retires
# in seconds and its screens reconnect to a running worker (storytime/gunicorn_hooks.py).
# Imported in the worker: a master that imported storytime would fork a reload's new workers
# with the old code.


def post_worker_init(worker):
    from storytime import gunicorn_hooks

    gunicorn_hooks.post_worker_init(worker)


def worker_exit(server, worker):
    # The master calls this too: only a worker has imported the hooks (post_worker_init).
    hooks = sys.modules.get("storytime.gunicorn_hooks")
    if hooks is not None:
        hooks.worker_exit(server, worker)
