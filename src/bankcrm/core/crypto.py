"""Encryption at rest of resident ID numbers and mobiles, and the keyed hashes that find them.

A value is stored as ``enc1$<key id>$<base64url(nonce ‖ AES-256-GCM ciphertext ‖ tag)>``, with
the column's purpose (``id_number``, ``mobile``) as associated data, so a ciphertext copied into
another column does not decrypt. Keys come from the environment, never from the database:

``BANKCRM_PII_KEYS``
    ``id:base64key,id:base64key,…`` (32-byte keys). The first encrypts; every one listed
    decrypts. Rotation: put a new key first, keep the old ones, run ``bankcrm pii rotate``
    (re-encrypts every value under the first key), then drop the old keys.
``BANKCRM_PII_INDEX_KEY``
    The key of the keyed hash (HMAC-SHA256) stored beside each value for exact search and
    duplicate detection. Changing it needs ``bankcrm pii rotate --reindex``.

Unset (development, tests, the demo) both are derived from ``SECRET_KEY``; ``check --deploy``
warns about that. The derived key always stays able to decrypt, so a database first encrypted
without configured keys moves to them with ``bankcrm pii rotate --reindex``.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models
from django.db.models.lookups import Exact, IsNull

PREFIX = "enc1"
DERIVED_KEY_ID = "derived"
_NONCE = 12


class DecryptionFailed(Exception):
    """A stored value that no configured key opens (wrong key, or the value was altered)."""


@dataclass(frozen=True)
class Keyring:
    current: str
    keys: dict[str, AESGCM]
    index_key: bytes
    derived: bool  # True when the keys come from SECRET_KEY (not for production)


def _derive(label: bytes) -> bytes:
    return hmac.new(settings.SECRET_KEY.encode(), label, hashlib.sha256).digest()


def _b64decode(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def parse_keys(text: str) -> list[tuple[str, bytes]]:
    """``id:base64key,…`` → [(id, key)], in order; a clear error for a malformed entry."""
    out: list[tuple[str, bytes]] = []
    for n, entry in enumerate(e.strip() for e in text.split(",") if e.strip()):
        kid, sep, encoded = entry.partition(":")
        if not sep or not kid or "$" in kid or kid == DERIVED_KEY_ID:
            raise ImproperlyConfigured(
                f"BANKCRM_PII_KEYS entry {n + 1} must look like id:base64key (got {kid!r}…)"
            )
        if kid in dict(out):
            raise ImproperlyConfigured(f"BANKCRM_PII_KEYS names key {kid!r} twice")
        try:
            key = _b64decode(encoded)
        except ValueError as exc:
            raise ImproperlyConfigured(f"BANKCRM_PII_KEYS key {kid!r} is not base64") from exc
        if len(key) != 32:
            raise ImproperlyConfigured(
                f"BANKCRM_PII_KEYS key {kid!r} has {len(key)} bytes; AES-256 needs 32"
            )
        out.append((kid, key))
    return out


@functools.cache
def _keyring(keys_text: str, index_text: str, secret: str) -> Keyring:
    entries = parse_keys(keys_text)
    derived = not entries
    if index_text and len(index_text) < 16:
        raise ImproperlyConfigured("BANKCRM_PII_INDEX_KEY needs at least 16 characters")
    keys = {kid: AESGCM(key) for kid, key in entries}
    # The key derived from SECRET_KEY always decrypts: values written before keys were
    # configured stay readable until `bankcrm pii rotate --reindex` moves them.
    keys.setdefault(DERIVED_KEY_ID, AESGCM(_derive(b"bankcrm pii encryption")))
    index_key = index_text.encode() if index_text else _derive(b"bankcrm pii index")
    return Keyring(
        current=entries[0][0] if entries else DERIVED_KEY_ID,
        keys=keys,
        index_key=index_key,
        derived=derived,
    )


def keyring() -> Keyring:
    return _keyring(
        str(getattr(settings, "BANKCRM_PII_KEYS", "")),
        str(getattr(settings, "BANKCRM_PII_INDEX_KEY", "")),
        settings.SECRET_KEY,
    )


def new_key() -> str:
    """A fresh key, as BANKCRM_PII_KEYS takes it (after ``id:``)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def is_encrypted(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX + "$")


def key_id(value: str) -> str:
    """The id of the key a stored value is encrypted with ('' for a plaintext value)."""
    return value.split("$", 2)[1] if is_encrypted(value) else ""


def encrypt(value: str, purpose: str, *, ring: Keyring | None = None) -> str:
    """The stored form of ``value``; '' stays '' (an empty field holds nothing to protect)."""
    if not value:
        return value
    ring = ring or keyring()
    nonce = os.urandom(_NONCE)
    sealed = ring.keys[ring.current].encrypt(nonce, value.encode(), purpose.encode())
    body = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
    return f"{PREFIX}${ring.current}${body}"


def decrypt(value: str, purpose: str, *, ring: Keyring | None = None) -> str:
    """The plaintext of a stored value (a value stored before encryption is returned as is)."""
    if not is_encrypted(value):
        return value
    ring = ring or keyring()
    parts = value.split("$", 2)
    if len(parts) != 3:
        raise DecryptionFailed(f"a stored {purpose} value is malformed")
    _prefix, kid, body = parts
    aead = ring.keys.get(kid)
    if aead is None:
        raise DecryptionFailed(f"key {kid!r} is not in BANKCRM_PII_KEYS")
    try:
        raw = _b64decode(body)
        if len(raw) < _NONCE + 16:
            raise ValueError("too short")
        return aead.decrypt(raw[:_NONCE], raw[_NONCE:], purpose.encode()).decode()
    except (InvalidTag, ValueError) as exc:
        raise DecryptionFailed(f"a {purpose} value does not open with key {kid!r}") from exc


def blind_index(value: str, purpose: str, *, ring: Keyring | None = None) -> str:
    """The keyed hash stored beside a value (hex); '' for ''. Equal values, equal hashes."""
    if not value:
        return ""
    ring = ring or keyring()
    message = f"{purpose}\0{value.strip().upper()}".encode()
    return hmac.new(ring.index_key, message, hashlib.sha256).hexdigest()


# --- model fields -----------------------------------------------------------------------------


class EncryptedCharField(models.CharField):
    """A CharField stored encrypted and read decrypted. ``max_length`` bounds the plaintext.

    The database cannot compare ciphertexts, so only emptiness can be looked up
    (``field=""``, ``field__isnull``); find a value through its :class:`BlindIndexField`.
    """

    def __init__(self, *args: Any, purpose: str, **kwargs: Any) -> None:
        self.purpose = purpose
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["purpose"] = self.purpose
        return name, path, args, kwargs

    def db_type(self, connection: Any) -> str:
        return "text"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return decrypt(value, self.purpose) if value else value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return encrypt(value, self.purpose) if value else value

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "exact":
            return _EmptyOnly
        if lookup_name == "isnull":
            return IsNull
        return None


class _EmptyOnly(Exact):
    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None):
            raise FieldError(
                f"{self.lhs.target.name} is encrypted: look it up by its keyed hash "
                f"(blind_index), not by value"
            )
        return super().get_prep_lookup()


class BlindIndexField(models.CharField):
    """The keyed hash of another field of the same model, set whenever the model is saved."""

    def __init__(self, *args: Any, source: str, purpose: str, **kwargs: Any) -> None:
        self.source, self.purpose = source, purpose
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs.update(source=self.source, purpose=self.purpose)
        for key, default in (("max_length", 64), ("blank", True), ("editable", False)):
            if kwargs.get(key) == default:
                kwargs.pop(key)
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = blind_index(getattr(model_instance, self.source) or "", self.purpose)
        setattr(model_instance, self.attname, value)
        return value


def blind_indexes(model: type[models.Model]) -> dict[str, BlindIndexField]:
    """The model's keyed-hash fields by the name of the field each one hashes."""
    return {f.source: f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)}


def with_indexes(model: type[models.Model], update_fields: Any) -> Any:
    """``update_fields`` with the keyed hashes of the fields it names (None stays None)."""
    if update_fields is None:
        return None
    names = set(update_fields)
    names |= {f.name for source, f in blind_indexes(model).items() if source in names}
    return names


class SealedQuerySet(models.QuerySet[Any]):
    """Refuses an ``update()`` of an encrypted field that would leave its keyed hash stale."""

    def update(self, **kwargs: Any) -> int:
        for source, index in blind_indexes(self.model).items():
            if source in kwargs and index.name not in kwargs:
                raise FieldError(
                    f"update() of {source} must set {index.name} too "
                    f"(blind_index(value, {index.purpose!r})), or save() the instance"
                )
        return super().update(**kwargs)

    def bulk_update(self, objs: Any, fields: Any, batch_size: int | None = None) -> int:
        names = set(fields)
        for source, index in blind_indexes(self.model).items():
            if source in names:
                for obj in objs:
                    index.pre_save(obj, add=False)  # sets the hash as save() would
                names.add(index.name)
        return super().bulk_update(objs, list(names), batch_size=batch_size)
