"""What every side hands back: the values checked equal across sides before timings are shown."""

from __future__ import annotations

from typing import Any

TIMEZONE = "Europe/London"
GRAINS = ("week", "month", "quarter")
SURVEY_DIMENSIONS = ("channel", "region", "journey_stage", "team", "product")
CES_DIMENSIONS = ("channel", "region", "journey_stage", "team")
BALANCE_DIMENSIONS = ("channel", "region", "journey_stage", "product")  # experience balance
CASE_DIMENSIONS = ("team", "owner", "root_cause", "priority")  # loop closure
CHANNELS = ("Phone", "Chat", "Email", "Store", "App")
NULLS = ("", "n/a", "N/A", "NA", "null", "NULL", "-")
CHECKED_DIMENSION = {
    "nps": "region",
    "csat": "region",
    "ces": "region",
    "enps": "team",
    "engagement": "team",
    "experience_balance": "region",
    "loop_closure_time": "team",
    "loop_closure_sla": "team",
}
ANONYMOUS = {("enps", "team"), ("engagement", "team")}
"""Groups under five respondents we do not show: another side may have them."""
CHECK_COLUMNS = ("kpi", "dimension", "dimension_value", "period_start", "value", "n")

CheckRow = tuple[Any, ...]
"""(kpi, dimension, dimension_value, period_start 'YYYY-MM-DD', value, n) at month grain."""

SURVEY_COLUMNS = {
    "Response ID": "response_id",
    "Submitted At": "responded_at",
    "Customer ID": "customer_id",
    "Channel": "channel",
    "Region": "region",
    "Journey Stage": "journey_stage",
    "Product": "product",
    "Team": "team",
    "Likelihood to Recommend (0-10)": "nps",
    "Overall Satisfaction (1-5)": "csat",
    "Ease of Resolution (1-7)": "ces",
    "Comment": "comment",
}
PULSE_COLUMNS = {
    "Employee Ref": "respondent_id",
    "Team": "team",
    "Survey Month": "survey_month",
    "Q1 Proud to work here": "pride",
    "Q2 Recognised for good work": "recognition",
    "Q3 Have the tools I need": "tools",
    "Q4 See a path to grow": "growth",
    "Q5 Workload is sustainable": "workload",
    "eNPS Recommend as a place to work (0-10)": "enps",
}
