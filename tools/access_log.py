"""Keep webhook tokens out of the HTTP access log.

The token in ``/text_messaging/webhook/<id>/<token>/...`` is the whole
authentication of the providers that do not sign their requests: werkzeug's
access log line (``"POST /text_messaging/webhook/3/<token>/status HTTP/1.1" 200
-``) would hand it to whoever reads the logs. A filter on the ``werkzeug``
logger (and on gevent's, in the evented server) rewrites it to
``/text_messaging/webhook/3/***/status``.
"""

import logging
import re

WEBHOOK_TOKEN_RE = re.compile(r"(/text_messaging/webhook/[^/\s]*/)[^/\s?#\"']+")
MASK = "***"


def mask_webhook_tokens(text):
    """``text`` with the token of every webhook URL masked."""
    return WEBHOOK_TOKEN_RE.sub(rf"\g<1>{MASK}", text)


class WebhookTokenFilter(logging.Filter):
    """Rewrites a log record whose message contains a webhook URL."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True
        if "/text_messaging/webhook/" in message:
            record.msg = mask_webhook_tokens(message)
            record.args = ()
        return True


#: Loggers of Odoo's access logs: werkzeug in the threaded and prefork
#: servers, "longpolling" for gevent's pywsgi in the evented server.
ACCESS_LOGGERS = ("werkzeug", "longpolling")


def install(logger_names=ACCESS_LOGGERS):
    """Add the filter once to each logger of ``logger_names``."""
    loggers = [logging.getLogger(name) for name in logger_names]
    for logger in loggers:
        if not any(isinstance(f, WebhookTokenFilter) for f in logger.filters):
            logger.addFilter(WebhookTokenFilter())
    return loggers
