"""The e-mail an outbox row is sent as (the sending itself: `marketplace.mail.handlers`)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from marketplace.text import clean_line


def compose(config: dict[str, Any], payload: dict[str, Any], message_id: str) -> EmailMessage:
    """Build the plain-text e-mail of an outbox `payload` (`to`, `subject`, `body`) from MAIL_SENDER, with the stable
    `message_id`."""
    email = EmailMessage()
    email["From"] = config["MAIL_SENDER"]
    # Headers are one line each, whatever text reached the payload (names written before cleaning on the way in).
    email["To"] = clean_line(payload["to"])
    email["Subject"] = clean_line(payload["subject"])
    email["Message-ID"] = message_id
    email.set_content(payload["body"])
    return email
