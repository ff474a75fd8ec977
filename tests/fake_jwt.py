"""HS256 JWTs as Supabase issues them, for tests/fake_supabase.py: API keys and signed-URL tokens.

Hand-rolled with hmac (no PyJWT): the fake needs HS256 only, any secret length, and the exact
messages storage-api gives when a token is refused (its `jose` library; FACTS §7): "Invalid
Compact JWS" for something that is not a JWT, "signature verification failed" for a wrong secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

HEADER = {"alg": "HS256", "typ": "JWT"}


class JwtError(Exception):
    """A token refused; `message` is storage-api's wording."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def b64url(data: bytes) -> str:
    """base64url without padding, as JWTs (and Node's `toString('base64url')`) write it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(signing_input: str, secret: str) -> str:
    return b64url(hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest())


def _segment(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())  # compact, as JWT libraries write it


def encode(claims: dict[str, Any], secret: str) -> str:
    signing_input = f"{_segment(HEADER)}.{_segment(claims)}"
    return f"{signing_input}.{_mac(signing_input, secret)}"


def decode(token: str, secret: str, *, now: float) -> dict[str, Any]:
    """The verified claims, or JwtError. `exp` is checked against `now` (the fake's clock)."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise JwtError("Invalid Compact JWS")
    try:
        header = json.loads(unb64url(parts[0]))
    except ValueError:
        raise JwtError("JWS Protected Header is invalid") from None
    if not isinstance(header, dict) or header.get("alg") != "HS256":
        raise JwtError('"alg" (Algorithm) Header Parameter value not allowed')
    if not hmac.compare_digest(parts[2], _mac(f"{parts[0]}.{parts[1]}", secret)):
        raise JwtError("signature verification failed")
    try:
        claims = json.loads(unb64url(parts[1]))
    except ValueError:
        claims = None
    if not isinstance(claims, dict):
        raise JwtError("JWT Claims Set must be a top-level JSON object")
    exp = claims.get("exp")
    if isinstance(exp, (int, float)) and exp <= now:
        raise JwtError("jwt expired")
    return claims


def signed_by(token: str, secret: str) -> bool:
    """Whether `token` is a JWT carrying a valid signature under `secret` (expiry not checked)."""
    try:
        decode(token, secret, now=float("-inf"))
    except JwtError:
        return False
    return True
