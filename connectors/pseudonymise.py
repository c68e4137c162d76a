"""Pseudonymisation: a keyed hash (HMAC-SHA256) so joins still work but names never reach DuckDB.

The key comes from an environment variable whose name config.yaml gives, never from the YAML. The
same key gives the same hash in every source and every refresh, so a customer keeps one id; without
the key nobody can recompute a hash from a guessed e-mail address.
"""

from __future__ import annotations

import hashlib
import hmac
import os

import duckdb
from sqlglot import exp

from connectors.base import SourceBase
from core.errors import ConnectorError, Problem

MACRO = "_cx_pseudonym"
_BLOCK = 64  # SHA-256 block size in bytes


def key_for(name: str, spec: SourceBase) -> bytes:
    """The key from the environment; one clear error when it is not set."""
    value = os.environ.get(spec.pseudonymise_key_env, "")
    if not value:
        raise ConnectorError(
            Problem(
                f"environment variable {spec.pseudonymise_key_env} is not set, so "
                f"{', '.join(spec.pseudonymise)} cannot be pseudonymised",
                subject=name,
                fix=f"export {spec.pseudonymise_key_env}=<a long random secret> (keep it the same across refreshes)",
            )
        )
    return value.encode()


def pseudonym(text: str, key: bytes) -> str:
    """The hash of one value, exactly as the SQL macro computes it."""
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def create_macro(con: duckdb.DuckDBPyConnection, key: bytes) -> None:
    """A TEMP macro computing HMAC-SHA256 in SQL (it lives only on this connection, never in the file)."""
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    key = key.ljust(_BLOCK, b"\0")
    inner = bytes(b ^ 0x36 for b in key).hex()
    outer = bytes(b ^ 0x5C for b in key).hex()
    con.execute(
        f"CREATE OR REPLACE TEMP MACRO {MACRO}(v) AS CASE WHEN v IS NOT NULL THEN "
        f"sha256(unhex('{outer}') || unhex(sha256(unhex('{inner}') || encode(CAST(v AS VARCHAR))))) END"
    )


def drop_macro(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DROP MACRO IF EXISTS temp.{MACRO}")


def hashed(value: exp.Expr) -> exp.Expr:
    return exp.Anonymous(this=MACRO, expressions=[value])
