"""Keep link tokens out of logs. Paths of token links (/p/, /c/, /invitations/) carry the
credential itself; every log line passes through this filter on its way to a handler."""

import logging
import re

TOKEN_PATH = re.compile(r"/(p|c|invitations)/(?!done/)[A-Za-z0-9_\-%]{8,}")


class RedactLinkTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = TOKEN_PATH.sub(lambda match: f"/{match.group(1)}/[token]", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
