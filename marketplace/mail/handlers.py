"""Outbox handler that sends e-mail: through SMTP when configured, else into files for local use."""

from __future__ import annotations

import smtplib
from email.utils import make_msgid
from pathlib import Path

from flask import Flask
from sqlalchemy.orm import Session

from marketplace.mail.messages import compose
from marketplace.outbox.models import OutboxMessage


def make_mail_handler(app: Flask):
    """Return the outbox handler for e-mail.

    Send it over SMTP (STARTTLS) when SMTP_HOST is set, else write it to MAIL_DIR as .eml.
    """
    config = app.config

    def send_mail(_session: Session, message: OutboxMessage) -> None:
        # A stable Message-ID per outbox row lets mail servers drop the duplicate of a retried send.
        email = compose(config, message.payload, make_msgid(idstring=f"outbox-{message.id}", domain="loom.local"))
        if config.get("SMTP_HOST"):
            with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=20) as smtp:
                smtp.starttls()
                if config.get("SMTP_USERNAME"):
                    smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
                smtp.send_message(email)
            return
        folder = Path(config["MAIL_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{message.id:08d}.eml").write_bytes(bytes(email))

    return send_mail
