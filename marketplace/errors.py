"""Domain errors that services raise and views translate for people and for the API."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the marketplace refused the action; the message is written for the person acting."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class Unavailable(DomainError):
    """A service the action needs (Stripe, Odoo, the database) did not answer; nothing was done, trying again is safe.

    `retry_after`, when given, is the number of seconds after which trying again is worthwhile (sent as Retry-After).
    """

    status = 503

    def __init__(self, message: str, *, field: str | None = None, retry_after: int | None = None) -> None:
        super().__init__(message, field=field)
        self.retry_after = retry_after


class BadGateway(DomainError):
    """A service the action needs answered no; the message says what it said."""

    status = 502


class TooManyRequests(DomainError):
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
