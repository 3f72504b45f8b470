"""Random link tokens. The raw token travels in the link once; only its SHA-256 is stored."""

import hashlib
import secrets

TOKEN_BYTES = 32  # 256 bits of randomness; the issues ask for at least 128


def token_new() -> tuple[str, str]:
    """A fresh (raw token, hash to store) pair."""
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    return raw, token_hash(raw)


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()
