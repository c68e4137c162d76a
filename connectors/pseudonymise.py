"""Pseudonymisation: a keyed hash (HMAC-SHA256) so joins still work but names never reach DuckDB.

The key comes from an environment variable whose name config.yaml gives, never from the YAML. The
same key gives the same hash in every source and every refresh, so a customer keeps one id; without
the key nobody can recompute a hash from a guessed e-mail address.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import tomllib
from pathlib import Path

import duckdb
from sqlglot import exp

from connectors.base import SourceBase
from core.errors import ConnectorError, Problem

MACRO = "_cx_pseudonym"
_BLOCK = 64  # SHA-256 block size in bytes


def key_for(name: str, spec: SourceBase, root: Path | None = None) -> bytes:
    """The key from the environment, else from `.streamlit/secrets.toml` next to config.yaml.

    In secrets.toml the key is a top-level entry named like the variable, e.g.
    `CXKPI_PSEUDONYM_KEY = "..."`. The value is never logged, printed or stored.
    """
    value = os.environ.get(spec.pseudonymise_key_env, "") or _from_secrets(root, spec.pseudonymise_key_env)
    if not value:
        raise ConnectorError(
            Problem(
                f"environment variable {spec.pseudonymise_key_env} is not set, so "
                f"{', '.join(spec.pseudonymise)} cannot be pseudonymised",
                subject=name,
                fix=f"export {spec.pseudonymise_key_env}=<a long random secret> (keep it the same across refreshes), "
                f"or set it in .streamlit/secrets.toml",
            )
        )
    return value.encode()


def _from_secrets(root: Path | None, entry: str) -> str:
    file = (root or Path.cwd()) / ".streamlit" / "secrets.toml"
    if not file.is_file():
        return ""
    try:
        secrets = tomllib.loads(file.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        # the message names the file, never its content: a parse error can quote a secret
        raise ConnectorError(Problem(f"{file} is not valid TOML", fix='check its syntax (key = "value")')) from err
    value = secrets.get(entry, "")
    return value if isinstance(value, str) else ""


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
