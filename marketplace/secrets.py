"""Secrets at rest (Odoo API keys): encrypted with Fernet under a key from configuration."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken


class SecretBox:
    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())

    def seal(self, secret: str) -> str:
        """Encrypt `secret` (Fernet) and return the token to store."""
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, token: str) -> str:
        """Decrypt a stored token; raise ValueError when it was sealed with another key."""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise ValueError(
                "This secret was sealed with another key: set LOOM_SECRETS_KEY back, or enter the API key again."
            ) from None


def new_key() -> str:
    """Return a new random key for LOOM_SECRETS_KEY (URL-safe base64, 32 bytes)."""
    return Fernet.generate_key().decode()
