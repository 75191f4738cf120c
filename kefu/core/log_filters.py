"""Filters for kefu's log handlers."""

import logging

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError


class OneLineRefusals(logging.Filter):
    """A refused request (a 4xx answer: permission refused, bad request) is logged as one line.

    Django logs a PermissionDenied, a BadRequest or a SuspiciousOperation with its traceback; a
    refusal is the product working as meant, and a traceback per 403 buried the real errors in the
    log. Errors (5xx) keep theirs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if record.exc_info and isinstance(status, int) and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True


class OneLineOutages(logging.Filter):
    """Redis unreachable (scaled mode) is one line per report, not a traceback: channels_redis
    reports its receive loop's failure every second while Redis is down (issue 10.9)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(
            record.exc_info[1], (RedisConnectionError, RedisTimeoutError)
        ):
            record.msg = f"{record.msg}: {record.exc_info[1]}"
            record.exc_info = None
            record.exc_text = None
        return True
