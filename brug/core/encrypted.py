"""Column types that encrypt on the way into the database and decrypt on the way out.

The keys travel with the engine (`attach_vault`), not in a global: a column type sees only the dialect,
so the vault is kept on the engine's dialect. Encrypted columns are opaque to SQL: never filter, sort
or group by them (use a keyed hash such as `chat_key` for that).
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from brug.core.crypto import Vault

_VAULT = "brug_vault"
T = TypeVar("T")


def attach_vault(engine: Engine, vault: Vault) -> None:
    setattr(engine.dialect, _VAULT, vault)


def vault_of(bind: Engine | Connection | Dialect) -> Vault:
    dialect = bind if isinstance(bind, Dialect) else bind.dialect
    vault = getattr(dialect, _VAULT, None)
    if not isinstance(vault, Vault):
        raise RuntimeError("this engine has no keys: create it with brug.core.db.create_db_engine")
    return vault


class _Encrypted(TypeDecorator[T]):
    impl = Text
    cache_ok = True

    def dump(self, value: T) -> str:
        raise NotImplementedError

    def load(self, plain: str) -> T:
        raise NotImplementedError

    def process_bind_param(self, value: T | None, dialect: Dialect) -> str | None:
        return None if value is None else vault_of(dialect).encrypt(self.dump(value))

    def process_result_value(self, value: Any | None, dialect: Dialect) -> T | None:
        return None if value is None else self.load(vault_of(dialect).decrypt(str(value)))


class EncryptedText(_Encrypted[str]):
    """The empty string stays empty (it says nothing), so purged texts can be found with `text != ''`."""

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return value if value == "" else super().process_bind_param(value, dialect)

    def process_result_value(self, value: Any | None, dialect: Dialect) -> str | None:
        return value if value == "" else super().process_result_value(value, dialect)

    cache_ok = True

    def dump(self, value: str) -> str:
        return value

    def load(self, plain: str) -> str:
        return plain


class EncryptedInt(_Encrypted[int]):
    """Telegram chat ids: needed to reply, never stored in clear."""

    cache_ok = True

    def dump(self, value: int) -> str:
        return str(int(value))

    def load(self, plain: str) -> int:
        return int(plain)


class EncryptedJSON(_Encrypted[Any]):
    cache_ok = True

    def dump(self, value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def load(self, plain: str) -> Any:
        return json.loads(plain)
