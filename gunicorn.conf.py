"""gunicorn's settings, read from the working directory (`gunicorn config.wsgi`).

gunicorn's access log (`--access-logfile`, off unless asked for) and error log go through
Python logging, so the record factory of config/log_filters.py rewrites each line as it is
made: link tokens become `[token]`, search terms `q=[redacted]` (decisions 83 and 132). It is
installed here, in the master, so every worker has it before its first request, whatever the
log format (the request line `%(r)s`, the query `%(q)s` and the referrer `%(f)s` included)."""

from config import log_filters

log_filters.install()
