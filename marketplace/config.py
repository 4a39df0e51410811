"""Configuration defaults; every key can be set from the environment as LOOM_<KEY>."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask


class Defaults:
    # Where the app is reached from outside; used for links in e-mails (never the request's Host header).
    BASE_URL = "http://127.0.0.1:5000"
    # sqlite:///<instance>/loom.db unless set
    DATABASE_URL: str | None = None
    SEARCH_BACKEND = "embedded"
    SEARCH_EMBEDDED_PATH: str | None = None  # <instance>/search.db unless set
    # The embedded index keeps each reader's last matched set, total and facets, so its next pages (and the same page
    # again) only page through it until the index changes (search.embedded). Off: every search matches afresh.
    SEARCH_KEEP_MATCHES = True
    ELASTICSEARCH_URL = "http://127.0.0.1:9200"
    ELASTICSEARCH_INDEX = "loom-groups"  # the alias; versioned indices are named after it
    UPLOAD_DIR: str | None = None  # <instance>/uploads unless set
    UPLOAD_MAX_BYTES = 5 * 1024 * 1024
    STAGED_MAX_AGE_SECONDS = 3600  # a `*.staged` upload this old was left by a request that died (uploads.sweep_staged)
    STAGED_SWEEP_SECONDS = 3600  # how often the worker sweeps them (and once when it starts)
    # A form with files (multipart/form-data) is read to its end up to UPLOAD_BODY_CEILING bytes, each file kept only
    # up to UPLOAD_MAX_BYTES (the rest dropped as it arrives), so any file a person picks gets a field error and the
    # form keeps what was typed; a body declared larger is refused at once with 413. Every other body: MAX_CONTENT_LENGTH.
    UPLOAD_BODY_CEILING = 1024 * 1024 * 1024
    MAX_CONTENT_LENGTH = 64 * 1024 * 1024
    MAIL_DIR: str | None = None  # <instance>/mail: e-mails are written there as .eml unless SMTP is set
    MAIL_SENDER = "Loom <no-reply@loom.local>"
    SMTP_HOST: str | None = None
    SMTP_PORT = 587
    SMTP_USERNAME: str | None = None
    SMTP_PASSWORD: str | None = None
    # Retries: 30 s doubling to a 1 h ceiling, 70 attempts: 50–63 h before a dead letter (RetryPolicy).
    OUTBOX_MAX_ATTEMPTS = 70
    OUTBOX_BACKOFF_SECONDS = 30.0
    OUTBOX_BACKOFF_MAX_SECONDS = 3600.0
    OUTBOX_LEASE_SECONDS = 300.0  # a message taken by a worker is due again after this if the worker died
    LOGIN_MAX_FAILURES = 5
    LOGIN_MAX_FAILURES_PER_ADDRESS = 30
    LOGIN_WINDOW_SECONDS = 15 * 60
    LOGIN_FIRST_DELAY_SECONDS = 30  # after LOGIN_MAX_FAILURES on one account from one address; doubles each time
    # How many proxies in front of Loom add X-Forwarded-For/-Proto; 0 trusts none (clients could forge them).
    TRUSTED_PROXIES = 0
    # Rate limits (Flask-Limiter), per signed-in user or per address; counted in this store.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = False  # Retry-After goes on the 429 alone (Flask-Limiter would put it on every answer)
    RATE_LIMIT_SIGNUP = "10 per hour"
    RATE_LIMIT_PASSWORD_RESET = "5 per hour"
    RATE_LIMIT_INVITATIONS = "30 per hour"
    RATE_LIMIT_MESSAGES = "60 per hour"
    RATE_LIMIT_RFQS = "30 per hour"
    RATE_LIMIT_ODOO_TEST = "10 per 10 minutes"
    RATE_LIMIT_API = "120 per minute"
    RATE_LIMIT_CONFIRMATION_MAIL = "3 per hour"  # "Resend the confirmation e-mail", per signed-in user
    INVITATION_DAYS = 7
    PASSWORD_RESET_SECONDS = 3600
    EMAIL_CONFIRMATION_SECONDS = 3 * 24 * 3600  # how long the link in a confirmation e-mail works
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    PAGE_SIZE = 24
    # Anonymous GETs of public pages, cached by public generation, locale, day and path (marketplace.pagecache).
    PAGE_CACHE = True
    PAGE_CACHE_SECONDS = 300
    CACHE_TYPE = "SimpleCache"  # one per process; "RedisCache" with CACHE_REDIS_URL shares it between processes
    CACHE_THRESHOLD = 5000  # pages a SimpleCache keeps before it drops the oldest
    LIST_PAGE_SIZE = 50  # orders and requests for quotation per page, newest first (next pages by cursor)
    # Calls to addresses users give (a group's Odoo): https to public addresses only, unless the operator
    # allows plain http, or private networks (CIDRs, comma-separated) where a federation hosts Odoo itself.
    OUTBOUND_ALLOW_HTTP = False
    OUTBOUND_ALLOWED_NETWORKS = ""
    ERP_TIMEOUT_SECONDS = 20.0  # per call to a group's Odoo; a timeout counts as "maybe done"
    ERP_INSTANCE_TAG = ""  # put before every key Loom writes into an Odoo (refs, codes), when two Loom instances share one Odoo
    DEPOSIT_PERCENT = 50  # of an order's total, invoiced when it is confirmed
    # Stripe. Without a secret key the marketplace runs, invoices can be printed, and card payment says it is off.
    STRIPE_SECRET_KEY: str | None = None
    # Shown on every invoice (LOOM_BANK_TRANSFER_INSTRUCTIONS): the marketplace's account to pay into; the invoice number is the
    # reference.
    BANK_TRANSFER_INSTRUCTIONS = ""
    STRIPE_WEBHOOK_SECRET: str | None = None  # whsec_...: the signing secret of the webhook endpoint
    STRIPE_API_BASE: str | None = None  # only to point at stripe-mock
    STRIPE_TIMEOUT_SECONDS = 20.0
    STRIPE_NETWORK_RETRIES = 2  # the library's own quick retries, with the same idempotency key
    PLATFORM_FEE_PERCENT = 5.0  # Loom's fee, taken from each payout
    PAYOUT_DETAILS_HOLD_HOURS = (
        48  # recorded payouts wait this long after a group's payout details change (the operator may lift it)
    )
    # Where Stripe Connect pays groups out from this platform: self-serve cross-border payouts reach the
    # US, UK, EEA, Canada and Switzerland (docs.stripe.com/connect/cross-border-payouts, checked 2026-11).
    # Groups elsewhere (Kenya, Ghana, India, Guatemala, Ethiopia, Peru...) get recorded payouts.
    STRIPE_PAYOUT_COUNTRIES = (
        "AT BE BG CA CH CY CZ DE DK EE ES FI FR GB GR HR HU IE IS IT LI LT LU LV MT NL NO PL PT RO SE SI SK US"
    )


def finish(app: Flask) -> None:
    """Fill the defaults that depend on the instance folder, and a secret key for local use."""
    instance = Path(app.instance_path)
    instance.mkdir(parents=True, exist_ok=True)
    config = app.config
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{instance / 'loom.db'}"
    config["UPLOAD_DIR"] = str(Path(config.get("UPLOAD_DIR") or instance / "uploads"))
    config["MAIL_DIR"] = str(Path(config.get("MAIL_DIR") or instance / "mail"))
    config["SEARCH_EMBEDDED_PATH"] = str(Path(config.get("SEARCH_EMBEDDED_PATH") or instance / "search.db"))
    from marketplace.outbound import OutboundPolicy

    OutboundPolicy.from_config(config)  # a mistyped network stops the app here, not at the first call
    if not config.get("SECRETS_KEY"):
        # Encrypts Odoo API keys at rest. Production sets LOOM_SECRETS_KEY (a Fernet key) and keeps it safe.
        secrets_file = instance / "secrets_key"
        if not secrets_file.exists():
            from marketplace.secrets import new_key

            secrets_file.write_text(new_key())
            secrets_file.chmod(0o600)
        config["SECRETS_KEY"] = secrets_file.read_text().strip()
    if not config.get("SECRET_KEY"):
        # A local install keeps a generated key in its instance folder; production sets LOOM_SECRET_KEY.
        key_file = instance / "secret_key"
        if not key_file.exists():
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        config["SECRET_KEY"] = key_file.read_text().strip()
