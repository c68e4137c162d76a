"""Every key a user can write in YAML is documented in the README: a new key fails here first."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from connectors.columns import ColumnSpec
from connectors.csv_source import CsvSourceSpec
from connectors.excel_source import ExcelSourceSpec
from connectors.json_source import JsonSourceSpec
from connectors.parquet_source import ParquetSourceSpec
from connectors.postgres_source import PostgresSourceSpec
from connectors.sqlite_source import SqliteSourceSpec
from core.access import AccessSpec, RoleSpec
from core.annotations import Annotation
from core.config import ConfigSpec
from kpis.highlights import CaseLink, VoiceSpec
from kpis.measures.clock import BusinessHours
from kpis.measures.engagement import EngagementSpec
from kpis.measures.loop_closure import LoopClosureSpec
from kpis.measures.mean import MeanSpec
from kpis.measures.nps import NpsSpec
from kpis.measures.positive_negative import ExperienceSource, PositiveNegativeSpec
from kpis.measures.proportion import ProportionSpec
from kpis.measures.ratio import ExpressionSpec, RatioSpec
from kpis.spec import Contact, DefinitionTest, DisplayFormat, KpiBase, SingleTableKpi, StatusRule, Target
from tests.conftest import ROOT

SPECS: list[type[BaseModel]] = [
    ConfigSpec, CsvSourceSpec, ParquetSourceSpec, JsonSourceSpec, ExcelSourceSpec, SqliteSourceSpec,
    PostgresSourceSpec, ColumnSpec, KpiBase, SingleTableKpi, NpsSpec, ProportionSpec, MeanSpec,
    PositiveNegativeSpec, ExperienceSource, LoopClosureSpec, BusinessHours, EngagementSpec, RatioSpec,
    ExpressionSpec, Contact, DisplayFormat, StatusRule, Target, DefinitionTest, AccessSpec, RoleSpec,
    Annotation, VoiceSpec, CaseLink,
]  # fmt: skip


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.__name__)
def test_every_yaml_key_is_in_the_readme(spec: type[BaseModel]) -> None:
    readme = (ROOT / "README.md").read_text()
    keys = [field.alias or name for name, field in spec.model_fields.items()]
    missing = [key for key in keys if f"`{key}`" not in readme and f"{key}:" not in readme]
    assert missing == [], f"document these {spec.__name__} keys in README.md: {missing}"
