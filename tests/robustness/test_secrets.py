"""Secrets: the pseudonymisation key comes from the environment or secrets.toml and is never shown or stored."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable

import pytest
import yaml

from core.config import AppConfig, load_config
from core.database import read_only
from tests.connectors.test_csv_load import GOOD
from tests.test_cli import invoke

KEY = "s3cret-pseudonym-key-that-must-never-show"
VARIABLE = "CXKPI_TEST_PSEUDONYM_KEY"


def pseudonymising(survey_config: Callable[..., AppConfig]) -> AppConfig:
    config = survey_config(*GOOD)
    data = yaml.safe_load(config.file.read_text())
    data["sources"]["survey_responses"] |= {"pseudonymise": ["customer_id"], "pseudonymise_key_env": VARIABLE}
    config.file.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_config(config.file)


def customer_ids(config: AppConfig) -> set[str]:
    with read_only(config.database) as con:
        return {row[0] for row in con.execute("SELECT customer_id FROM raw.feedback").fetchall()}


@pytest.mark.parametrize("where", ["environment", "secrets.toml"])
def test_the_key_is_read_from_the_environment_or_secrets_toml_and_never_shown_or_stored(
    survey_config: Callable[..., AppConfig],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    where: str,
) -> None:
    config = pseudonymising(survey_config)
    monkeypatch.delenv(VARIABLE, raising=False)
    if where == "environment":
        monkeypatch.setenv(VARIABLE, KEY)
    else:
        (config.root / ".streamlit").mkdir()
        (config.root / ".streamlit" / "secrets.toml").write_text(f'{VARIABLE} = "{KEY}"\n')
    caplog.set_level(logging.DEBUG)
    code, output = invoke(config, "refresh")
    assert code == 0, output
    clear = {line.split(",")[2] for line in GOOD}
    expected = {hmac.new(KEY.encode(), c.encode(), hashlib.sha256).hexdigest() for c in clear if c}
    assert customer_ids(config) - {None} == expected
    for shown in (output, caplog.text, *(r.getMessage() for r in caplog.records)):
        assert KEY not in shown
    assert KEY.encode() not in config.database.read_bytes()


def test_a_missing_key_names_the_variable_and_nothing_else(
    survey_config: Callable[..., AppConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = pseudonymising(survey_config)
    monkeypatch.delenv(VARIABLE, raising=False)
    code, output = invoke(config, "refresh")
    assert code == 1 and VARIABLE in output and "secrets.toml" in output and "Traceback" not in output


def test_a_broken_secrets_file_is_named_without_quoting_it(
    survey_config: Callable[..., AppConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    config = pseudonymising(survey_config)
    monkeypatch.delenv(VARIABLE, raising=False)
    (config.root / ".streamlit").mkdir()
    (config.root / ".streamlit" / "secrets.toml").write_text(f'{VARIABLE} = "{KEY}\n')  # quote never closed
    code, output = invoke(config, "refresh")
    assert code == 1 and "secrets.toml is not valid TOML" in output.replace("\n", "")
    assert KEY not in output and "Traceback" not in output
