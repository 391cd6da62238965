"""Encryption at rest for free text and notes: Fernet keys, newest first, rotated with MultiFernet."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class DataKeyError(ValueError):
    """The configured data keys are missing or malformed."""


class DataCipher:
    """Encrypts with the newest key and decrypts with any configured key."""

    def __init__(self, keys: Sequence[str]) -> None:
        """Build from URL-safe base64 Fernet keys, newest first."""
        if not keys:
            raise DataKeyError("no data keys configured (CAIRN_DATA_KEYS)")
        try:
            self._fernet = MultiFernet([Fernet(key.strip().encode()) for key in keys])
        except (ValueError, TypeError) as error:
            raise DataKeyError("a data key is not a valid Fernet key") from error
        self._newest = base64.urlsafe_b64decode(keys[0].strip().encode())

    def derive_secret(self, purpose: str) -> bytes:
        """A secret for keyed hashes, derived from the newest data key (the same in every instance sharing it)."""
        return hmac.new(self._newest, f"cairn:{purpose}".encode(), hashlib.sha256).digest()

    @staticmethod
    def new_key() -> str:
        """Make a fresh key."""
        return Fernet.generate_key().decode()

    def encrypt(self, plaintext: str) -> bytes:
        """Encrypt text with the newest key."""
        return self._fernet.encrypt(plaintext.encode("utf-8"))

    def decrypt(self, token: bytes) -> str:
        """Decrypt text made with any configured key."""
        try:
            return self._fernet.decrypt(bytes(token)).decode("utf-8")
        except InvalidToken as error:
            raise DataKeyError("ciphertext does not match any configured data key") from error

    def encrypt_json(self, value: Mapping[str, Any]) -> bytes:
        """Encrypt a JSON-able mapping."""
        return self.encrypt(json.dumps(dict(value), separators=(",", ":"), sort_keys=True))

    def decrypt_json(self, token: bytes) -> dict[str, Any]:
        """Decrypt a mapping made by encrypt_json."""
        loaded = json.loads(self.decrypt(token))
        if not isinstance(loaded, dict):
            raise DataKeyError("decrypted value is not a mapping")
        return loaded

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt with the newest key."""
        return self._fernet.rotate(bytes(token))
