"""Generate the bundled demo exports of "Lumen Mobile", a fictional telecom (mobile, broadband, TV).

Four files, each shaped like the system that would export it:

- ``survey_responses.csv``: survey platform export (NPS, CSAT, CES and a comment per response)
- ``cases.sqlite``: case-management export, one case per unhappy response (table ``cases``)
- ``employee_pulse.csv``: monthly HR pulse survey of the CX teams
- ``reviews.json``: public app-store and review-site reviews with a sentiment label

The story a CX leader should recognise, 2024-11-01 to 2026-10-31 (UTC):

- NPS rises from about +30 to about +40 over the two years.
- A billing change on 2025-09-01 dips NPS by about 15 points in September and October 2025
  (the Billing journey by 35+), with a spike of billing root causes; it recovers by January 2026.
- APAC lags the other regions by about 12 NPS points throughout.
- Teams with higher pulse engagement earn higher NPS; Retention Desk is too small to report
  under a five-respondent anonymity minimum.
- A "close the loop" program from 2025-06-01 cuts the median case close time from ~70 h to ~28 h.

Everything is seeded and vectorised, and generated month by month: the same seed and size give
byte-identical files, and ten million responses fit in bounded memory.

    python -m demo.generate [--out DIR] [--responses N] [--seed S]
"""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import product
from pathlib import Path
from typing import TextIO

import click
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

log = logging.getLogger(__name__)

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

DEFAULT_OUT = Path(__file__).parent / "data"
DEFAULT_RESPONSES = 50_000
DEFAULT_SEED = 7

SURVEY_FILE = "survey_responses.csv"
CASES_FILE = "cases.sqlite"
PULSE_FILE = "employee_pulse.csv"
REVIEWS_FILE = "reviews.json"

# --- calendar ------------------------------------------------------------------------------------

FIRST_MONTH = "2024-11"
MONTH_COUNT = 24
HOUR = 3_600
DAY = 24 * HOUR
BILLING_CHANGE = "2025-09"
LOOP_PROGRAM_START = np.datetime64("2025-06-01", "s").astype(np.int64)
# Share of the billing change's full effect, by month: sharp in Sep-Oct 2025, gone by January 2026.
BILLING_DIP = {"2025-09": 1.0, "2025-10": 1.0, "2025-11": 0.45, "2025-12": 0.15}
SEASON = (1.18, 1.0, 0.98, 0.95, 0.95, 0.93, 0.92, 0.92, 0.99, 1.0, 1.05, 1.25)  # January..December
MONTHLY_GROWTH = 0.01
BILLING_CONTACT_SURGE = 0.12  # extra responses while the billing change bites
WEEKDAY_WEIGHT = (1.0, 1.0, 1.0, 1.0, 1.0, 0.75, 0.6)  # Monday..Sunday
LOCAL_HOUR_WEIGHT = (
    1.0, 0.5, 0.3, 0.3, 0.3, 0.5, 1.0, 2.0, 4.0, 6.0, 7.0, 7.0,
    6.5, 7.0, 7.0, 6.5, 6.0, 5.5, 5.0, 4.5, 4.0, 3.0, 2.0, 1.5,
)  # fmt: skip

# --- the company ---------------------------------------------------------------------------------

CHANNELS = ("Phone", "Chat", "Email", "Store", "App")
REGIONS = ("North America", "EMEA", "APAC", "LATAM")
STAGES = ("Onboarding", "Purchase", "Billing", "Support", "Renewal")
PRODUCTS = ("Mobile", "Broadband", "TV", "Bundle")
TEAMS = (
    "Frontline Phone", "Chat & Messaging", "Email Support", "Retail Stores",
    "App Experience", "Billing Specialists", "Onboarding Squad", "Retention Desk",
)  # fmt: skip
PLATFORMS = ("App Store", "Google Play", "Review site")
ROOT_CAUSES = (
    "Billing error", "Unexpected charge", "Long wait time", "Issue not resolved", "Network outage",
    "Device fault", "Staff attitude", "Delivery delay", "Website/app bug",
)  # fmt: skip
PRIORITIES = ("Low", "Medium", "High")
SENTIMENTS = ("negative", "neutral", "positive")
NEGATIVE, NEUTRAL, POSITIVE = 0, 1, 2

ONBOARDING, PURCHASE, BILLING, SUPPORT, RENEWAL = range(5)
BILLING_CHANGE_TOPIC = len(STAGES)  # comments and reviews about the new bill, beside the five stages
TOPICS = len(STAGES) + 1
APAC = REGIONS.index("APAC")

REGION_SHARE = (0.40, 0.30, 0.18, 0.12)
REGION_UTC_OFFSET = (-5, 1, 8, -4)  # hours; where each region's customers mostly live
PRODUCT_SHARE = (0.45, 0.25, 0.10, 0.20)
STAGE_SHARE = (0.12, 0.16, 0.20, 0.42, 0.10)
PLATFORM_SHARE = (0.35, 0.40, 0.25)
CHANNEL_SHARE_BY_STAGE = (  # Phone, Chat, Email, Store, App
    (0.22, 0.18, 0.08, 0.30, 0.22),  # Onboarding
    (0.15, 0.15, 0.05, 0.35, 0.30),  # Purchase
    (0.35, 0.22, 0.15, 0.05, 0.23),  # Billing
    (0.38, 0.27, 0.10, 0.07, 0.18),  # Support
    (0.45, 0.20, 0.10, 0.10, 0.15),  # Renewal
)
CHANNEL_TEAM = (0, 1, 2, 3, 4)  # Phone->Frontline Phone, Chat->Chat & Messaging, ... App->App Experience
SPECIALIST_TEAM = {BILLING: (5, 0.65), ONBOARDING: (6, 0.60), RENEWAL: (7, 0.70)}  # stage: (team, share)

# Engagement of each team on a -1..+1 scale; drives the pulse scores and, through them, NPS.
TEAM_ENGAGEMENT = (-0.15, 0.35, 0.0, -0.9, 0.95, -0.7, 0.8, 0.25)
TEAM_HEADCOUNT = (22, 18, 12, 21, 13, 16, 12, 4)
CASE_OWNERS = (
    ("Priya Shah", "Tom Becker"), ("Aisha Bello", "Lucas Moreau"), ("Hannah Kim", "Diego Alvarez"),
    ("Grace O'Neill", "Marco Rossi"), ("Yuki Tanaka", "Sam Carter"), ("Fatima Rahman", "Oliver Nowak"),
    ("Chloe Martin", "Ravi Patel"), ("Ingrid Larsen", "Kwame Mensah"),
)  # fmt: skip

# --- how customers feel, in NPS points -----------------------------------------------------------

NPS_AT_START, NPS_AT_END = 29.0, 39.5
REGION_EFFECT = (2.6, 2.6, -9.4, 2.6)  # APAC 12 points behind the rest, about zero on average
STAGE_EFFECT = (6.0, 8.0, -6.0, -4.0, 2.0)
CHANNEL_EFFECT = (-2.0, 1.0, -3.0, -4.0, 4.0)
TEAM_EFFECT_PER_ENGAGEMENT = 8.0
CUSTOMER_GOODWILL_SD = 10.0
BILLING_STAGE_DIP, OTHER_STAGE_DIP = 44.0, 7.0
PUBLIC_REVIEW_EFFECT = -35.0  # unhappy customers are the ones who write public reviews
PASSIVE_SHARE = 0.25
DETRACTOR_SCORE_WEIGHT = (3, 2, 3, 4, 6, 9, 13)  # how detractors spread over 0..6

# --- what the exports show -----------------------------------------------------------------------

NPS_BLANK, NPS_NOT_APPLICABLE = 0.08, 0.003
CSAT_ANSWERED, CES_ANSWERED = 0.75, 0.60
COMMENT_RATE, EXTRA_COMMENT_RATE_WHEN_UNHAPPY = 0.31, 0.17
QUARANTINE_SHARE, QUARANTINE_MINIMUM = 0.0005, 5
ANSWER_VOCABULARY = (*(str(n) for n in range(13)), "n/a", "ten")
NOT_APPLICABLE, TEN_IN_WORDS = 13, 14
# Out-of-range answers for the loader's quarantine: (column, code in ANSWER_VOCABULARY), used in turn.
BAD_ANSWERS = (("nps", 11), ("nps", 12), ("nps", TEN_IN_WORDS), ("csat", 6), ("csat", 0))
REVIEWS_PER_RESPONSE = 0.12
WRITE_BATCH = 50_000  # rows turned into text (or SQLite rows) at a time, to bound memory

# --- cases ---------------------------------------------------------------------------------------

ROOT_CAUSE_WEIGHT_BY_STAGE = (
    (2, 4, 12, 18, 8, 14, 6, 24, 12),  # Onboarding
    (3, 14, 10, 10, 2, 10, 12, 24, 15),  # Purchase
    (40, 28, 10, 12, 1, 1, 5, 1, 2),  # Billing
    (3, 3, 18, 26, 22, 14, 8, 1, 5),  # Support
    (8, 22, 14, 20, 6, 4, 20, 1, 5),  # Renewal
)
# Extra weight for (Billing error, Unexpected charge) while the billing change bites.
BILLING_CHANGE_ROOT_CAUSE_BOOST = {BILLING: (45.0, 60.0), "other": (6.0, 12.0)}
HOURS_TO_CLOSE_BEFORE, HOURS_TO_CLOSE_AFTER = 70.0, 28.0  # medians, before and after the loop program
HOURS_TO_FIRST_CONTACT_BEFORE, HOURS_TO_FIRST_CONTACT_AFTER = 5.0, 2.5
CLOSE_SPREAD = 0.85  # log-normal sigma: a long tail, some cases take more than a week
RECENT_OPEN_SHARE, RECENT_OPEN_DAYS = 0.9, 21.0  # cases opened shortly before the export are often open
OVERDUE_BACKLOG, OVERDUE_MONTHS = 30, range(16, 22)  # forgotten cases from Mar-Aug 2026, still open
REOPEN_SHARE = (0.88, 0.10, 0.02)

# --- employee pulse ------------------------------------------------------------------------------

PULSE_PARTICIPATION = 0.85
PULSE_TURNOVER = 0.02
PULSE_QUESTION_OFFSET = (0.35, -0.15, 0.05, -0.2, -0.3)  # Proud, Recognised, Tools, Grow, Workload
BILLING_TEAM_DIP = {"2025-09": 0.9, "2025-10": 0.9, "2025-11": 0.4}
PULSE_BLANK = 0.02
LIKERT_MIDPOINT, LIKERT_PER_ATTITUDE = 3.55, 0.55
ENPS_MIDPOINT, ENPS_PER_ATTITUDE = 7.3, 1.0
LIKERT_NOISE, ENPS_NOISE = 0.75, 1.6

SURVEY_HEADER = (
    "Response ID,Submitted At,Customer ID,Channel,Region,Journey Stage,Product,Team,"
    "Likelihood to Recommend (0-10),Overall Satisfaction (1-5),Ease of Resolution (1-7),Comment"
)
PULSE_HEADER = (
    "Employee Ref,Team,Survey Month,Q1 Proud to work here,Q2 Recognised for good work,"
    "Q3 Have the tools I need,Q4 See a path to grow,Q5 Workload is sustainable,"
    "eNPS Recommend as a place to work (0-10)"
)
INSERT_CASE = "INSERT INTO cases VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
CASES_DDL = """
CREATE TABLE cases (
    case_id TEXT PRIMARY KEY,
    response_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    first_contact_at TEXT,
    closed_at TEXT,
    status TEXT NOT NULL,
    owner TEXT NOT NULL,
    team TEXT NOT NULL,
    root_cause TEXT NOT NULL,
    reopen_count INTEGER NOT NULL,
    priority TEXT NOT NULL
)
"""

# --- phrase banks: [sentiment][topic or channel or product] -> variants ------------------------

TOPIC_PHRASES: tuple[tuple[tuple[str, ...], ...], ...] = (
    (  # negative
        (
            "Setup took three visits and the router still drops every evening.",
            "Activation was supposed to take an hour, it took four days.",
            "The SIM arrived without the welcome pack, so nothing worked.",
            "The installer never turned up, and I took a day off for it.",
            'My "welcome call" was a sales pitch, not help getting started.',
        ),
        (
            "The price I was quoted was not the price on my first bill.",
            "Checkout failed twice, then charged me for both attempts.",
            "The phone I ordered was out of stock after I had paid.",
            "Sold a bundle I did not need, the contract terms were unclear.",
            'The "free" upgrade came with a 24-month contract nobody mentioned.',
        ),
        (
            "I was billed twice this month and it took ages to fix.",
            "My direct debit went out early, with no warning.",
            "The refund I was promised still has not arrived.",
            "Late fee for a payment I made on time, I have the receipt.",
            "The bill is a different amount every month and nobody can explain why.",
        ),
        (
            "Three calls about the same outage, and still no fix.",
            "My broadband drops every evening, support just reads a script.",
            "I was promised a callback that never came.",
            "The engineer appointment was cancelled twice, without notice.",
            'They closed my ticket as "resolved" while the fault is still there.',
        ),
        (
            "Eight years a customer, and new customers get a better deal than me.",
            "The renewal price went up by a third, no explanation given.",
            "To get a fair price I had to threaten to leave.",
            "My contract rolled onto a more expensive plan automatically.",
            "Cancelling was far harder than signing up.",
        ),
        (
            "The new bill format is impossible to read, I cannot see what I pay for.",
            "Unexpected charges appeared after the billing change, nobody warned us.",
            'Since the "new, simpler bill" my total went up and I cannot tell why.',
            "The new bill hides the breakdown, I was charged for extras I never ordered.",
            "Two unexpected charges on my first new-format bill.",
        ),
    ),
    (  # neutral
        (
            "Setup was fine in the end, the instructions could be clearer.",
            "Activation took a day longer than promised.",
            "The router works, the setup app is a bit clunky.",
            "Getting started was okay, nothing special.",
            "The installer was on time, though the cabling is messy.",
        ),
        (
            "Buying the phone was easy, delivery was slow.",
            "Decent offer, but comparing the plans took a while.",
            "The order went through, the confirmation email was confusing.",
            "Fair price, average experience.",
            "Fair offer, though the contract terms took some reading.",
        ),
        (
            "The bill is correct, just hard to read.",
            "It took two tries to update my payment details.",
            "My billing question was answered, eventually.",
            "Paying is easy, understanding the charges less so.",
            "The bill arrived late but was correct.",
        ),
        (
            "The issue is fixed, it took longer than I would like.",
            "Support was polite, the fix took two attempts.",
            "Fine, but I had to explain the problem twice.",
            "Got there in the end.",
            "The answer was right, the wait was long.",
        ),
        (
            "Renewal was okay, the price went up a little.",
            "The new deal is fine, nothing more.",
            "I renewed, but only after comparing competitors.",
            "Reasonable offer, slow process.",
            "The retention offer was fair, if not generous.",
        ),
        (
            "The new bill format takes some getting used to.",
            "Not sure the new bill layout is an improvement.",
            "The new bill looks different, the total seems about the same.",
            "I had to call to understand the new bill, the agent explained it well.",
            "The new format is okay once you find the breakdown.",
        ),
    ),
    (  # positive
        (
            "Setup took ten minutes, everything worked first time.",
            "The installer was on time, friendly, and tidied up.",
            "Activation was instant, great welcome guide.",
            "Smoothest switch I have had, my number moved the same day.",
            "The welcome call answered all my questions.",
        ),
        (
            "Great deal on the bundle, and the phone arrived next day.",
            "They found me a cheaper plan than the one I asked for.",
            "Ordering online was quick and clear.",
            "Honest advice, no hard sell.",
            "Click and collect was ready in an hour.",
        ),
        (
            "The bill is clear and always right.",
            "A billing mistake was fixed on the first call, with a credit.",
            "Paying through the app is simple.",
            "They refunded the overcharge without me asking twice.",
            "Clear, fair billing, no surprises.",
        ),
        (
            "The agent fixed my broadband on the first call.",
            "Quick, friendly, and the problem is gone.",
            "They called back exactly when they said they would.",
            "Fault fixed the same day, thank you.",
            "Knowledgeable staff, they knew exactly what to do.",
        ),
        (
            "Renewal was easy and they lowered my price.",
            "Loyalty discount, without having to ask.",
            "Great retention offer, staying for another two years.",
            "They matched a competitor's offer straight away.",
            "Simple renewal, better plan, same price.",
        ),
        (
            "The new bill is clearer than the old one.",
            "I like the new bill format, the breakdown is easy to follow.",
            "The new bill layout is an improvement, well done.",
            "The agent walked me through the new bill, all clear now.",
            "New bill format is simple, no surprises.",
        ),
    ),
)

CHANNEL_PHRASES: tuple[tuple[tuple[str, ...], ...], ...] = (
    (  # negative
        (
            "Forty minutes on hold before anyone answered.",
            "I was transferred three times.",
            "The line cut me off mid-call.",
            "Every agent on the phone said something different.",
        ),
        (
            "The chat bot went round in circles.",
            "The chat agent disconnected before solving anything.",
            "Chat took an hour, with long gaps between replies.",
            "I repeated my account number to three chat agents.",
        ),
        (
            "My email went unanswered for a week.",
            "The email reply did not answer my question.",
            "I got a template email, not a real answer.",
            "Three emails, three different answers.",
        ),
        (
            "The store was understaffed and I queued for an hour.",
            "Store staff could not access my account.",
            "The store sent me to call support instead.",
            "Nobody in the store knew the current offers.",
        ),
        (
            "The app logged me out every time I tried to pay.",
            "The app crashed during checkout.",
            "The app shows a different balance to my bill.",
            "Could not find anything in the app, it is a maze.",
        ),
    ),
    (  # neutral
        (
            "The phone wait was about average.",
            "The agent on the phone was fine.",
            "Phone support was okay, a bit scripted.",
            "Took a while to get through by phone.",
        ),
        (
            "The chat was okay, a little slow.",
            "Chat answered my question, eventually.",
            "The chat bot handed me to a person, which helped.",
            "Chat was fine.",
        ),
        (
            "The email reply came after two days.",
            "The email answer was correct, if brief.",
            "Email is slow but it works.",
            "Got a reply by email, nothing more.",
        ),
        (
            "The store was busy but staff were polite.",
            "Store visit was fine.",
            "I had to wait in store, then it was quick.",
            "The store team did what they could.",
        ),
        (
            "The app does the job.",
            "The app is fine, a bit slow to load.",
            "The app works, the menus are confusing.",
            "Used the app, it was okay.",
        ),
    ),
    (  # positive
        (
            "The agent on the phone was patient and clear.",
            "Answered within two minutes.",
            "Sorted in one call.",
            "Lovely person on the phone, thank you.",
        ),
        (
            "The chat agent was fast and helpful.",
            "Chat solved it in five minutes.",
            "Brilliant chat support, clear answers.",
            "Chat was quick, no waiting.",
        ),
        (
            "The email reply was quick and to the point.",
            "Clear email with exactly the steps I needed.",
            "Email answered the same day.",
            "Helpful, friendly email reply.",
        ),
        (
            "Store staff were friendly and knew their stuff.",
            "In and out of the store in ten minutes.",
            "The store team set everything up for me.",
            "Great service in store.",
        ),
        (
            "Did it all in the app in a couple of taps.",
            "The app makes it so easy.",
            "Love the app, everything is where I expect it.",
            "The app is quick and clear.",
        ),
    ),
)

# The last closer of each sentiment carries a line break, as some survey tools let customers type one.
CLOSERS = (
    ("", " Very disappointed.", " Thinking of switching.", " Not good enough, Lumen.", "\nSort it out."),
    ("", " Could be better.", " It was okay.", " Room for improvement.", "\nThanks anyway."),
    ("", " Thank you!", " Keep it up.", " Highly recommend Lumen.", "\nThanks again, really happy."),
)
CLOSER_SHARE = (0.5, 0.17, 0.17, 0.154, 0.006)
CHANNEL_FIRST_SHARE = 0.3

PRODUCT_PHRASES: tuple[tuple[tuple[str, ...], ...], ...] = (
    (  # negative
        ("Signal is patchy even in town.", "Data is nowhere near the advertised speed.", "Calls drop."),
        ("Broadband drops every evening.", "Speeds are half what I pay for.", "The router needs restarts."),
        ("The TV box freezes constantly.", "Channels I pay for are missing.", "The TV app keeps buffering."),
        ("The bundle is no saving.", "One fault and everything is down.", "Bundle pricing is a mess."),
    ),
    (  # neutral
        ("Coverage is fine where I live.", "Mobile service is average.", "Data is okay, not fast."),
        ("Broadband is fine most of the time.", "Speeds are okay.", "The router is decent."),
        ("TV service is fine.", "The channel line-up is okay.", "The TV box does the job."),
        ("The bundle is convenient, not cheap.", "Bundle price is fair.", "The bundle is fine."),
    ),
    (  # positive
        ("Great coverage, even on the train.", "5G speeds are excellent.", "Best network I have used."),
        ("Broadband is fast and reliable.", "Never had a drop-out.", "Speeds are better than advertised."),
        ("Great channel line-up.", "The TV box is quick and easy.", "Love the TV app."),
        ("The bundle saves me money every month.", "One bill for everything.", "Great value bundle."),
    ),
)
REVIEW_TITLES = (  # [sentiment][about the billing change] -> variants
    (
        ("Terrible service", "Avoid", "Not impressed", "Going downhill", "So frustrating"),
        (
            "Confusing new bill",
            "Unexpected charges",
            "New bill, higher bill",
            "Overcharged",
            "Bring back the old bill",
        ),
    ),
    (
        ("It's okay", "Average", "Does the job", "Mixed feelings", "Fine, not great"),
        ("New bill takes getting used to", "Bill changed", "Not sure about the new bill", "Okay", "Hmm"),
    ),
    (
        ("Great service", "Love it", "Highly recommend", "Five stars", "Really good"),
        ("Clearer bills", "New bill is better", "Great service", "Love it", "Five stars"),
    ),
)
RATING_BY_SCORE = (1, 1, 1, 1, 1, 2, 3, 3, 4, 5, 5)  # public ratings are J-shaped
SENTIMENT_SHARE_BY_RATING = (  # negative, neutral, positive; mostly consistent, as people are
    (1.0, 0.0, 0.0),
    (0.92, 0.08, 0.0),
    (0.3, 0.6, 0.1),
    (0.0, 0.1, 0.9),
    (0.0, 0.0, 1.0),
)


# --- calendar ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Month:
    """One calendar month of the demo period, in UTC epoch seconds [start, end)."""

    index: int
    label: str
    start: int
    end: int

    @property
    def billing_dip(self) -> float:
        """How much of the billing change's effect is felt this month (0..1)."""
        return BILLING_DIP.get(self.label, 0.0)

    @property
    def after_billing_change(self) -> bool:
        """Whether the new bill format is live (comments and reviews can mention it)."""
        return self.label >= BILLING_CHANGE


def demo_months() -> list[Month]:
    """The 24 months from November 2024 to October 2026."""
    firsts = np.arange(np.datetime64(FIRST_MONTH), np.datetime64(FIRST_MONTH) + MONTH_COUNT + 1)
    bounds = firsts.astype("datetime64[s]").astype(np.int64)
    return [Month(i, str(firsts[i]), int(bounds[i]), int(bounds[i + 1])) for i in range(MONTH_COUNT)]


def period_bounds() -> tuple[int, int]:
    """Start and (exclusive) end of the demo period, in epoch seconds."""
    months = demo_months()
    return months[0].start, months[-1].end


def monthly_volumes(total: int, months: Sequence[Month]) -> IntArray:
    """Split `total` events over the months: mild growth, a December/January peak, a billing surge."""
    days = np.array([(m.end - m.start) / DAY for m in months])
    season = np.array([SEASON[int(m.label[5:]) - 1] for m in months])
    growth = 1 + MONTHLY_GROWTH * np.arange(len(months))
    surge = 1 + BILLING_CONTACT_SURGE * np.array([m.billing_dip for m in months])
    return apportion(total, days * season * growth * surge)


def apportion(total: int, weights: FloatArray) -> IntArray:
    """Integer counts proportional to `weights` that add up to exactly `total` (largest remainder)."""
    exact = total * weights / weights.sum()
    counts: IntArray = np.floor(exact).astype(np.int64)
    shortfall = total - int(counts.sum())
    counts[np.argsort(-(exact - counts), kind="stable")[:shortfall]] += 1
    return counts


def event_times(rng: np.random.Generator, month: Month, region: IntArray) -> IntArray:
    """Epoch seconds within `month` for each event: weekdays and local business hours are busiest."""
    day_count = (month.end - month.start) // DAY
    day_starts = month.start + DAY * np.arange(day_count)
    weekday = (day_starts // DAY + 3) % 7  # 1970-01-01 was a Thursday
    day_weight = np.asarray(WEEKDAY_WEIGHT)[weekday]
    day = rng.choice(day_count, size=len(region), p=day_weight / day_weight.sum())
    hour_weight = np.asarray(LOCAL_HOUR_WEIGHT)
    local_hour = rng.choice(24, size=len(region), p=hour_weight / hour_weight.sum())
    offset = np.asarray(REGION_UTC_OFFSET)[region]
    seconds = DAY * day + HOUR * (local_hour - offset) + rng.integers(0, HOUR, size=len(region))
    wrapped: IntArray = month.start + seconds % (month.end - month.start)  # the few that spill over wrap
    return wrapped


# --- sampling helpers ----------------------------------------------------------------------------


def stream(seed: int, *key: int) -> np.random.Generator:
    """An independent random stream per (seed, file, month): chunking never changes the output."""
    return np.random.default_rng([seed, *key])


def draw(rng: np.random.Generator, shares: Sequence[float], size: int) -> IntArray:
    """Category codes drawn with the given shares."""
    p = np.asarray(shares, dtype=np.float64)
    return rng.choice(len(p), size=size, p=p / p.sum())


def draw_rows(rng: np.random.Generator, shares: FloatArray) -> IntArray:
    """One category code per row of a (rows x categories) matrix of unnormalised shares."""
    cumulative: FloatArray = np.cumsum(shares, axis=1)
    cumulative /= cumulative[:, -1:]
    u = rng.random(len(shares))
    codes: IntArray = (u[:, None] > cumulative).sum(axis=1).astype(np.int64)
    return codes


def recommend_scores(rng: np.random.Generator, propensity: FloatArray) -> IntArray:
    """0-10 answers whose expected NPS equals each row's propensity (in NPS points)."""
    net = np.clip(propensity / 100, -0.7, 0.7)
    promoter = (1 - PASSIVE_SHARE + net) / 2
    detractor = (1 - PASSIVE_SHARE - net) / 2
    u, v = rng.random(len(net)), rng.random(len(net))
    weights = np.asarray(DETRACTOR_SCORE_WEIGHT, dtype=np.float64)
    detractor_score = np.searchsorted(np.cumsum(weights) / weights.sum(), v, side="right")
    return np.select(
        [u < promoter, u >= 1 - detractor],
        [9 + (v < 0.55), detractor_score],
        default=7 + (v < 0.5),
    ).astype(np.int64)


def scale_answer(rng: np.random.Generator, score: IntArray, top: int, noise: float) -> IntArray:
    """A 1..`top` answer that tracks the 0-10 recommend score, with noise."""
    latent = 1 + (top - 1) * score / 10 + rng.normal(0, noise, len(score))
    return np.clip(np.rint(latent), 1, top).astype(np.int64)


def sentiment_of(score: IntArray) -> IntArray:
    """NPS bands as sentiment: detractors negative, passives neutral, promoters positive."""
    return np.select([score <= 6, score <= 8], [NEGATIVE, NEUTRAL], default=POSITIVE).astype(np.int64)


# --- Arrow formatting helpers --------------------------------------------------------------------


def labels(vocabulary: Sequence[str], codes: IntArray, missing: BoolArray | None = None) -> pa.Array:
    """Codes as their text; `missing` rows become blanks."""
    return pc.take(pa.array(vocabulary, pa.string()), pa.array(codes, mask=missing))


def numbered(prefix: str, numbers: IntArray, width: int) -> pa.Array:
    """Identifiers such as R-0000001 from 1-based numbers."""
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width=width, padding="0")
    return pc.binary_join_element_wise(prefix, digits, "")


def timestamps(
    seconds: IntArray,
    fmt: str = "%Y-%m-%d %H:%M:%S",
    missing: BoolArray | None = None,
) -> pa.Array:
    """Epoch seconds as UTC text; `missing` rows become blanks."""
    return pc.strftime(pa.array(seconds.astype("datetime64[s]"), mask=missing), format=fmt)


def csv_field(text: str) -> str:
    """One CSV field, quoted only when it must be (RFC 4180)."""
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if any(c in text for c in ',"\n\r') else text


def write_csv_rows(out: TextIO, columns: Sequence[pa.Array]) -> None:
    """Write CSV lines from already-safe text columns (blank for null), in batches."""
    for start in range(0, len(columns[0]), WRITE_BATCH):
        batch = [column.slice(start, WRITE_BATCH) for column in columns]
        lines = pc.binary_join_element_wise(*batch, ",", null_handling="replace", null_replacement="")
        out.write("\n".join(lines.to_pylist()) + "\n")


class JsonArrayWriter:
    """Writes objects into a JSON array, one per line, with commas only between them."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.count = 0

    def __enter__(self) -> JsonArrayWriter:
        self.out.write("[\n")
        return self

    def __exit__(self, *_: object) -> None:
        self.out.write("\n]\n" if self.count else "]\n")

    def write(self, objects: pa.Array) -> None:
        """Append already-encoded JSON objects, in batches."""
        for start in range(0, len(objects), WRITE_BATCH):
            batch = objects.slice(start, WRITE_BATCH).to_pylist()
            self.out.write((",\n" if self.count else "") + ",\n".join(batch))
            self.count += len(batch)


# --- phrase catalogues ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CommentCatalogue:
    """Every survey comment the phrase banks can make, CSV-quoted, addressed by their parts."""

    texts: pa.Array
    shape: tuple[int, ...]  # sentiment, topic, channel, topic variant, channel variant, closer, order

    def index(self, *parts: IntArray) -> IntArray:
        """The catalogue position of each row's comment."""
        return np.ravel_multi_index(parts, self.shape).astype(np.int64)


def comment_catalogue() -> CommentCatalogue:
    """Compose topic, channel and closer phrases into every possible comment."""
    shape = (3, TOPICS, len(CHANNELS), 5, 4, len(CLOSER_SHARE), 2)
    texts = []
    for sentiment, topic, channel, a, b, closer, channel_first in product(*(range(n) for n in shape)):
        first = TOPIC_PHRASES[sentiment][topic][a]
        second = CHANNEL_PHRASES[sentiment][channel][b]
        if channel_first:
            first, second = second, first
        texts.append(csv_field(f"{first} {second}{CLOSERS[sentiment][closer]}"))
    return CommentCatalogue(pa.array(texts, pa.string()), shape)


def review_catalogues() -> tuple[pa.Array, pa.Array]:
    """JSON-encoded titles [sentiment, about bill, variant] and texts [sentiment, topic, a, product, b]."""
    titles = [json.dumps(t) for by_topic in REVIEW_TITLES for variants in by_topic for t in variants]
    texts = [
        json.dumps(f"{TOPIC_PHRASES[s][t][a]} {PRODUCT_PHRASES[s][p][b]}")
        for s, t, a, p, b in product(range(3), range(TOPICS), range(5), range(len(PRODUCTS)), range(3))
    ]
    return pa.array(titles, pa.string()), pa.array(texts, pa.string())


def comment_topics(rng: np.random.Generator, stage: IntArray, sentiment: IntArray, month: Month) -> IntArray:
    """The journey stage a comment talks about, or, once the new bill is out, often the new bill."""
    if not month.after_billing_change:
        return stage
    share = np.where(stage == BILLING, 0.75, 0.3) * np.where(sentiment == NEGATIVE, 1.0, 0.35)
    share *= max(month.billing_dip, 0.1)
    return np.where(rng.random(len(stage)) < share, BILLING_CHANGE_TOPIC, stage).astype(np.int64)


# --- customers and survey responses --------------------------------------------------------------


@dataclass(frozen=True)
class Customers:
    """Stable customer attributes: where they live, what they have, how they feel about Lumen."""

    region: IntArray
    product: IntArray
    goodwill: FloatArray  # NPS points above or below the average customer


def make_customers(seed: int, count: int) -> Customers:
    """The customer base: about one customer per three survey responses."""
    rng = stream(seed, 0)
    return Customers(
        region=draw(rng, REGION_SHARE, count),
        product=draw(rng, PRODUCT_SHARE, count),
        goodwill=rng.normal(0, CUSTOMER_GOODWILL_SD, count),
    )


@dataclass(frozen=True)
class Responses:
    """One month of survey responses, sorted by time: what customers did and thought."""

    first_number: int
    submitted: IntArray
    customer: IntArray
    region: IntArray
    stage: IntArray
    channel: IntArray
    product: IntArray
    team: IntArray
    score: IntArray  # the 0-10 answer the customer has in mind (even when they leave it blank)
    satisfaction: IntArray
    ease: IntArray

    @property
    def numbers(self) -> IntArray:
        """1-based response numbers, in time order."""
        return self.first_number + np.arange(len(self.submitted), dtype=np.int64)


@dataclass(frozen=True)
class Answers:
    """What the export shows for each response: blanks, n/a, quarantine-bait and comments."""

    nps: IntArray  # code in ANSWER_VOCABULARY
    nps_blank: BoolArray
    csat: IntArray
    csat_blank: BoolArray
    ces_blank: BoolArray
    comment: IntArray  # position in the comment catalogue
    comment_blank: BoolArray
    invalid: BoolArray

    def nps_answered(self) -> BoolArray:
        """Rows with a valid 0-10 recommend answer."""
        return ~self.nps_blank & (self.nps <= 10) & ~self.invalid


def journey_stages(rng: np.random.Generator, size: int, month: Month) -> IntArray:
    """Journey stages; while the billing change bites, more of the feedback is about billing."""
    stage = draw(rng, STAGE_SHARE, size)
    to_billing = rng.random(size) < BILLING_CONTACT_SURGE * month.billing_dip
    return np.where(to_billing, BILLING, stage).astype(np.int64)


def assign_teams(rng: np.random.Generator, stage: IntArray, channel: IntArray) -> IntArray:
    """Specialist teams take their stage's contacts; the rest go to the channel's team."""
    team = np.asarray(CHANNEL_TEAM, dtype=np.int64)[channel]
    u = rng.random(len(stage))
    for specialist_stage, (specialist, share) in SPECIALIST_TEAM.items():
        team = np.where((stage == specialist_stage) & (u < share), specialist, team)
    return team


def recommend_propensity(
    submitted: IntArray,
    month: Month,
    region: IntArray,
    stage: IntArray,
    channel: IntArray,
    team: IntArray,
    goodwill: FloatArray,
) -> FloatArray:
    """Each response's expected NPS, in points: trend, billing dip, region, journey, channel and team."""
    start, end = period_bounds()
    trend = NPS_AT_START + (NPS_AT_END - NPS_AT_START) * (submitted - start) / (end - start)
    dip = month.billing_dip * np.where(stage == BILLING, BILLING_STAGE_DIP, OTHER_STAGE_DIP)
    team_effect = TEAM_EFFECT_PER_ENGAGEMENT * np.asarray(TEAM_ENGAGEMENT)[team]
    propensity: FloatArray = (
        trend
        - dip
        + np.asarray(REGION_EFFECT)[region]
        + np.asarray(STAGE_EFFECT)[stage]
        + np.asarray(CHANNEL_EFFECT)[channel]
        + team_effect
        + goodwill
    )
    return propensity


def survey_month(seed: int, month: Month, count: int, first_number: int, customers: Customers) -> Responses:
    """One month of responses from the customer base, in time order."""
    rng = stream(seed, 1, month.index)
    customer = rng.integers(0, len(customers.region), size=count)
    submitted = event_times(rng, month, customers.region[customer])
    in_time_order = np.argsort(submitted, kind="stable")
    submitted, customer = submitted[in_time_order], customer[in_time_order]
    region = customers.region[customer]
    stage = journey_stages(rng, count, month)
    channel = draw_rows(rng, np.asarray(CHANNEL_SHARE_BY_STAGE)[stage])
    team = assign_teams(rng, stage, channel)
    goodwill = customers.goodwill[customer]
    propensity = recommend_propensity(submitted, month, region, stage, channel, team, goodwill)
    score = recommend_scores(rng, propensity)
    return Responses(
        first_number=first_number,
        submitted=submitted,
        customer=customer,
        region=region,
        stage=stage,
        channel=channel,
        product=customers.product[customer],
        team=team,
        score=score,
        satisfaction=scale_answer(rng, score, 5, 0.65),
        ease=scale_answer(rng, score, 7, 1.0),
    )


def quarantine_rows(total: int, share: float = QUARANTINE_SHARE) -> IntArray:
    """0-based rows, spread evenly through the file, that carry an out-of-range answer."""
    count = min(total, max(QUARANTINE_MINIMUM, round(total * share)))
    return np.linspace(0, total, count + 2)[1:-1].astype(np.int64)


def export_answers(
    seed: int, responses: Responses, month: Month, bad_rows: IntArray, catalogue: CommentCatalogue
) -> Answers:
    """Decide what each response shows in the export."""
    rng = stream(seed, 2, month.index)
    size = len(responses.score)
    nps = responses.score.copy()
    nps[rng.random(size) < NPS_NOT_APPLICABLE] = NOT_APPLICABLE
    csat = responses.satisfaction.copy()
    bad_nps, bad_csat = np.zeros(size, dtype=np.bool_), np.zeros(size, dtype=np.bool_)
    first = responses.first_number - 1
    for row in bad_rows[(bad_rows >= first) & (bad_rows < first + size)]:
        column, code = BAD_ANSWERS[int(np.searchsorted(bad_rows, row)) % len(BAD_ANSWERS)]
        answer, bad = (nps, bad_nps) if column == "nps" else (csat, bad_csat)
        answer[row - first], bad[row - first] = code, True
    nps_blank = (rng.random(size) < NPS_BLANK) & ~bad_nps
    csat_blank = (rng.random(size) >= CSAT_ANSWERED) & ~bad_csat
    sentiment = sentiment_of(responses.score)
    comment_share = COMMENT_RATE + EXTRA_COMMENT_RATE_WHEN_UNHAPPY * (sentiment == NEGATIVE)
    comment = catalogue.index(
        sentiment,
        comment_topics(rng, responses.stage, sentiment, month),
        responses.channel,
        rng.integers(0, 5, size),
        rng.integers(0, 4, size),
        draw(rng, CLOSER_SHARE, size),
        (rng.random(size) < CHANNEL_FIRST_SHARE).astype(np.int64),
    )
    return Answers(
        nps=nps,
        nps_blank=nps_blank,
        csat=csat,
        csat_blank=csat_blank,
        ces_blank=rng.random(size) >= CES_ANSWERED,
        comment=comment,
        comment_blank=rng.random(size) >= comment_share,
        invalid=bad_nps | bad_csat,
    )


def survey_columns(responses: Responses, answers: Answers, catalogue: CommentCatalogue) -> list[pa.Array]:
    """The month's rows as survey-platform CSV fields, in header order."""
    return [
        numbered("R-", responses.numbers, 7),
        timestamps(responses.submitted),
        numbered("C-", responses.customer + 1, 6),
        labels(CHANNELS, responses.channel),
        labels(REGIONS, responses.region),
        labels(STAGES, responses.stage),
        labels(PRODUCTS, responses.product),
        labels(TEAMS, responses.team),
        labels(ANSWER_VOCABULARY, answers.nps, answers.nps_blank),
        labels(ANSWER_VOCABULARY, answers.csat, answers.csat_blank),
        labels(ANSWER_VOCABULARY, responses.ease, answers.ces_blank),
        pc.take(catalogue.texts, pa.array(answers.comment, mask=answers.comment_blank)),
    ]


# --- cases ---------------------------------------------------------------------------------------


def needs_a_case(responses: Responses, answers: Answers) -> BoolArray:
    """Valid responses from detractors (0-6) or very dissatisfied customers (CSAT 1-2) open a case."""
    detractor = answers.nps_answered() & (responses.score <= 6)
    dissatisfied = ~answers.csat_blank & ~answers.invalid & (responses.satisfaction <= 2)
    return detractor | dissatisfied


def root_causes(rng: np.random.Generator, stage: IntArray, month: Month) -> IntArray:
    """Root causes by journey stage; the billing change brings billing errors and unexpected charges."""
    weights = np.asarray(ROOT_CAUSE_WEIGHT_BY_STAGE, dtype=np.float64)[stage]
    if month.billing_dip:
        boost = np.where(stage == BILLING, 1.0, 0.0)[:, None] * BILLING_CHANGE_ROOT_CAUSE_BOOST[BILLING]
        boost += np.where(stage == BILLING, 0.0, 1.0)[:, None] * BILLING_CHANGE_ROOT_CAUSE_BOOST["other"]
        weights[:, :2] += month.billing_dip * boost
    return draw_rows(rng, weights)


def close_hours(rng: np.random.Generator, opened: IntArray, month: Month) -> tuple[FloatArray, FloatArray]:
    """Hours to first contact and to closure: much faster once the close-the-loop program starts."""
    program = opened >= LOOP_PROGRAM_START
    contact_median = np.where(program, HOURS_TO_FIRST_CONTACT_AFTER, HOURS_TO_FIRST_CONTACT_BEFORE)
    busy = 1 + 0.25 * month.billing_dip
    close_median = np.where(program, HOURS_TO_CLOSE_AFTER, HOURS_TO_CLOSE_BEFORE) * busy
    first_contact = 0.1 + contact_median * rng.lognormal(0, 0.8, len(opened))
    closed = np.maximum(close_median * rng.lognormal(0, CLOSE_SPREAD, len(opened)), first_contact + 0.5)
    return first_contact, closed


def still_open(rng: np.random.Generator, opened: IntArray, closed: IntArray, overdue: int) -> BoolArray:
    """Cases open at export time: not yet closed, most recent ones, and a few forgotten old ones."""
    _, export_time = period_bounds()
    age_days = (export_time - opened) / DAY
    recent = rng.random(len(opened)) < RECENT_OPEN_SHARE * np.exp(-age_days / RECENT_OPEN_DAYS)
    forgotten = np.zeros(len(opened), dtype=np.bool_)
    forgotten[rng.permutation(len(opened))[:overdue]] = True
    return (closed >= export_time) | recent | forgotten


def priorities(rng: np.random.Generator, score: IntArray) -> IntArray:
    """Low/Medium/High: the angrier the customer, the higher the priority."""
    low = np.where(score >= 5, 0.35, 0.1)
    high = np.where(score <= 3, 0.55, 0.2)
    return draw_rows(rng, np.column_stack([low, np.full(len(score), 0.45), high]))


def case_columns(
    seed: int, responses: Responses, answers: Answers, month: Month, first_case: int, overdue: int
) -> list[pa.Array]:
    """The month's cases, numbered from `first_case`, as columns of the `cases` table."""
    rng = stream(seed, 3, month.index)
    pick = np.flatnonzero(needs_a_case(responses, answers))
    size = len(pick)
    _, export_time = period_bounds()
    submitted = responses.submitted[pick]
    opened = submitted + (rng.random(size) * np.minimum(DAY, export_time - 1 - submitted)).astype(np.int64)
    contact_hours, hours_to_close = close_hours(rng, opened, month)
    first_contact = opened + (contact_hours * HOUR).astype(np.int64)
    closed = opened + (hours_to_close * HOUR).astype(np.int64)
    is_open = still_open(rng, opened, closed, overdue)
    team = responses.team[pick]
    owners = [name for pair in CASE_OWNERS for name in pair]
    return [
        numbered("CASE-", first_case + np.arange(size, dtype=np.int64), 6),
        numbered("R-", responses.numbers[pick], 7),
        numbered("C-", responses.customer[pick] + 1, 6),
        timestamps(opened),
        timestamps(first_contact, missing=is_open & (first_contact >= export_time)),
        timestamps(closed, missing=is_open),
        labels(("Closed", "Open"), is_open.astype(np.int64)),
        labels(owners, 2 * team + rng.integers(0, 2, size)),
        labels(TEAMS, team),
        labels(ROOT_CAUSES, root_causes(rng, responses.stage[pick], month)),
        pa.array(draw(rng, REOPEN_SHARE, size)),
        labels(PRIORITIES, priorities(rng, responses.score[pick])),
    ]


def insert_cases(db: sqlite3.Connection, columns: Sequence[pa.Array]) -> None:
    """Insert case columns into the `cases` table, in batches."""
    for start in range(0, len(columns[0]), WRITE_BATCH):
        batch = [column.slice(start, WRITE_BATCH).to_pylist() for column in columns]
        db.executemany(INSERT_CASE, zip(*batch, strict=True))


def overdue_backlog(responses: int, months: Sequence[Month]) -> IntArray:
    """How many forgotten cases each month leaves open: about 30 at the default size."""
    total = max(len(OVERDUE_MONTHS), round(OVERDUE_BACKLOG * responses / DEFAULT_RESPONSES))
    per_month = np.zeros(len(months), dtype=np.int64)
    per_month[list(OVERDUE_MONTHS)] = apportion(total, np.ones(len(OVERDUE_MONTHS)))
    return per_month


# --- employee pulse ------------------------------------------------------------------------------


@dataclass
class Roster:
    """Who works in which team; leavers are replaced by new starters with new references."""

    team: IntArray
    ref: IntArray
    temperament: FloatArray  # how positive a person answers, whatever the team
    next_ref: int

    def turn_over(self, rng: np.random.Generator) -> None:
        """Replace this month's leavers."""
        leaving = np.flatnonzero(rng.random(len(self.ref)) < PULSE_TURNOVER)
        self.ref[leaving] = self.next_ref + np.arange(len(leaving))
        self.temperament[leaving] = rng.normal(0, 0.35, len(leaving))
        self.next_ref += len(leaving)


def hire_roster(rng: np.random.Generator, scale: float) -> Roster:
    """Team headcounts, scaled with the data size but never below the described team sizes."""
    headcount = np.maximum(np.rint(np.asarray(TEAM_HEADCOUNT) * scale), TEAM_HEADCOUNT).astype(np.int64)
    team = np.repeat(np.arange(len(TEAMS), dtype=np.int64), headcount)
    refs = np.arange(1, len(team) + 1, dtype=np.int64)
    return Roster(team, refs, rng.normal(0, 0.35, len(team)), next_ref=len(team) + 1)


def team_engagement(rng: np.random.Generator, months: Sequence[Month]) -> FloatArray:
    """Engagement per (month, team): stable levels, mild drift, and a Billing Specialists dip."""
    drift = np.cumsum(rng.normal(0, 0.04, (len(months), len(TEAMS))), axis=0)
    engagement: FloatArray = np.asarray(TEAM_ENGAGEMENT) + drift - drift.mean(axis=0)
    billing_team = TEAMS.index("Billing Specialists")
    engagement[:, billing_team] -= [BILLING_TEAM_DIP.get(m.label, 0.0) for m in months]
    return engagement


def likert(rng: np.random.Generator, latent: FloatArray, low: int, high: int, noise: float) -> IntArray:
    """A latent attitude rounded onto a low..high answer scale, with answer noise."""
    return np.clip(np.rint(latent + rng.normal(0, noise, len(latent))), low, high).astype(np.int64)


def pulse_columns(
    rng: np.random.Generator,
    roster: Roster,
    month: Month,
    engagement: FloatArray,
) -> list[pa.Array]:
    """One month of pulse answers from the people who took part, as CSV fields in header order."""
    took_part = np.flatnonzero(rng.random(len(roster.ref)) < PULSE_PARTICIPATION)
    team = roster.team[took_part]
    attitude = engagement[team] + roster.temperament[took_part]
    columns = [
        numbered("E-", roster.ref[took_part], 4),
        labels(TEAMS, team),
        pa.array([f"{month.label}-01"] * len(took_part), pa.string()),
    ]
    for offset in PULSE_QUESTION_OFFSET:
        answer = likert(rng, LIKERT_MIDPOINT + LIKERT_PER_ATTITUDE * attitude + offset, 1, 5, LIKERT_NOISE)
        columns.append(labels(ANSWER_VOCABULARY, answer, rng.random(len(answer)) < PULSE_BLANK))
    enps = likert(rng, ENPS_MIDPOINT + ENPS_PER_ATTITUDE * attitude, 0, 10, ENPS_NOISE)
    columns.append(labels(ANSWER_VOCABULARY, enps))
    return columns


def write_pulse(path: Path, seed: int, responses: int, months: Sequence[Month]) -> int:
    """Write the HR pulse export; returns the number of rows."""
    rng = stream(seed, 4)
    roster = hire_roster(rng, responses / DEFAULT_RESPONSES)
    engagement = team_engagement(rng, months)
    rows = 0
    with open_text(path) as out:
        out.write(PULSE_HEADER + "\n")
        for month in months:
            columns = pulse_columns(rng, roster, month, engagement[month.index])
            write_csv_rows(out, columns)
            rows += len(columns[0])
            roster.turn_over(rng)
    return rows


# --- public reviews ------------------------------------------------------------------------------


def review_month(
    seed: int,
    month: Month,
    count: int,
    first_number: int,
    titles: pa.Array,
    texts: pa.Array,
) -> pa.Array:
    """One month of reviews as JSON objects."""
    rng = stream(seed, 5, month.index)
    region = draw(rng, REGION_SHARE, count)
    published = event_times(rng, month, region) // 60 * 60
    in_time_order = np.argsort(published, kind="stable")
    published, region = published[in_time_order], region[in_time_order]
    product_ = draw(rng, PRODUCT_SHARE, count)
    stage = draw(rng, STAGE_SHARE, count)
    start, end = period_bounds()
    trend = NPS_AT_START + (NPS_AT_END - NPS_AT_START) * (published - start) / (end - start)
    dip = month.billing_dip * BILLING_STAGE_DIP  # reviewers write about the bill, not the journey
    propensity = trend - dip + np.asarray(REGION_EFFECT)[region] + PUBLIC_REVIEW_EFFECT
    score = recommend_scores(rng, propensity + rng.normal(0, 10, count))
    rating = np.asarray(RATING_BY_SCORE, dtype=np.int64)[score]
    sentiment = draw_rows(rng, np.asarray(SENTIMENT_SHARE_BY_RATING)[rating - 1])
    topic = comment_topics(rng, stage, sentiment, month)
    about_bill = (topic == BILLING_CHANGE_TOPIC).astype(np.int64)
    title = np.ravel_multi_index((sentiment, about_bill, rng.integers(0, 5, count)), (3, 2, 5))
    text = np.ravel_multi_index(
        (sentiment, topic, rng.integers(0, 5, count), product_, rng.integers(0, 3, count)),
        (3, TOPICS, 5, len(PRODUCTS), 3),
    )
    fields = {
        "review_id": numbered("RV-", first_number + np.arange(count, dtype=np.int64), 6),
        "published_at": timestamps(published, "%Y-%m-%dT%H:%M:%SZ"),
        "platform": labels(PLATFORMS, draw(rng, PLATFORM_SHARE, count)),
        "rating": pc.cast(pa.array(rating), pa.string()),
        "sentiment": labels(SENTIMENTS, sentiment),
        "title": pc.take(titles, pa.array(title)),
        "text": pc.take(texts, pa.array(text)),
        "product": labels(PRODUCTS, product_),
        "region": labels(REGIONS, region),
    }
    return json_objects(fields, quoted={"rating", "title", "text"})


def json_objects(fields: dict[str, pa.Array], quoted: set[str]) -> pa.Array:
    """One JSON object per row from text columns; columns in `quoted` are already JSON literals."""
    pieces: list[object] = []
    for i, (key, values) in enumerate(fields.items()):
        pieces.append(("  {" if i == 0 else ", ") + f'"{key}": ' + ("" if key in quoted else '"'))
        pieces.append(values)
        if key not in quoted:
            pieces.append('"')
    pieces.append("}")
    return pc.binary_join_element_wise(*pieces, "")


def write_reviews(path: Path, seed: int, responses: int, months: Sequence[Month]) -> int:
    """Write the public reviews as a JSON array; returns the number of reviews."""
    titles, texts = review_catalogues()
    volumes = monthly_volumes(round(responses * REVIEWS_PER_RESPONSE), months)
    with open_text(path) as out, JsonArrayWriter(out) as reviews:
        for month, count in zip(months, volumes.tolist(), strict=True):
            first = int(volumes[: month.index].sum()) + 1
            reviews.write(review_month(seed, month, count, first, titles, texts))
    return int(volumes.sum())


# --- survey and cases ----------------------------------------------------------------------------


def write_survey_and_cases(
    survey_path: Path, cases_path: Path, seed: int, responses: int, corrupt_share: float = QUARANTINE_SHARE
) -> tuple[int, int]:
    """Write the survey export and the cases opened from it, month by month; returns both row counts."""
    months = demo_months()
    volumes = monthly_volumes(responses, months)
    customers = make_customers(seed, max(1, responses // 3))
    catalogue = comment_catalogue()
    bad_rows = quarantine_rows(responses, corrupt_share)
    overdue = overdue_backlog(responses, months)
    cases = 0
    with open_text(survey_path) as survey, case_database(cases_path) as db:
        survey.write(SURVEY_HEADER + "\n")
        for month, count in zip(months, volumes.tolist(), strict=True):
            first = int(volumes[: month.index].sum()) + 1
            month_responses = survey_month(seed, month, count, first, customers)
            answers = export_answers(seed, month_responses, month, bad_rows, catalogue)
            write_csv_rows(survey, survey_columns(month_responses, answers, catalogue))
            opened = case_columns(seed, month_responses, answers, month, cases + 1, int(overdue[month.index]))
            insert_cases(db, opened)
            cases += len(opened[0])
        db.commit()
    return responses, cases


# --- files ---------------------------------------------------------------------------------------


def open_text(path: Path) -> TextIO:
    """A UTF-8 text file for writing, with newlines written exactly as given."""
    return path.open("w", encoding="utf-8", newline="")


@contextmanager
def case_database(path: Path) -> Iterator[sqlite3.Connection]:
    """A fresh SQLite file with an empty `cases` table; no journal is left beside it."""
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    try:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        db.execute(CASES_DDL)
        yield db
    finally:
        db.close()


def describe(path: Path, rows: int) -> str:
    """A one-line summary of a written file."""
    size = path.stat().st_size
    return f"{path.name}: {rows:,} rows, {size / 1_000_000:.1f} MB ({size:,} bytes)"


def generate(
    out: Path,
    responses: int = DEFAULT_RESPONSES,
    seed: int = DEFAULT_SEED,
    corrupt_share: float = QUARANTINE_SHARE,
) -> dict[str, Path]:
    """Write the four Lumen Mobile exports into `out` and return their paths by source name.

    The files cover 2024-11-01 to 2026-10-31 whatever the size; cases, reviews and the pulse
    scale with `responses`. The same `responses`, `seed` and `corrupt_share` always give
    byte-identical files. `corrupt_share` is the share of survey rows carrying an out-of-range
    answer for the loader to refuse (benchmarks use 1 %).
    """
    if not 0 <= corrupt_share <= 1:
        raise ValueError(f"corrupt_share must be between 0 and 1, not {corrupt_share}")
    if responses < 1:
        raise ValueError(f"responses must be at least 1, not {responses}")
    if seed < 0:
        raise ValueError(f"seed must not be negative, not {seed}")
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "survey": out / SURVEY_FILE,
        "cases": out / CASES_FILE,
        "pulse": out / PULSE_FILE,
        "reviews": out / REVIEWS_FILE,
    }
    months = demo_months()
    survey_rows, case_count = write_survey_and_cases(paths["survey"], paths["cases"], seed, responses, corrupt_share)
    rows = {
        "survey": survey_rows,
        "cases": case_count,
        "pulse": write_pulse(paths["pulse"], seed, responses, months),
        "reviews": write_reviews(paths["reviews"], seed, responses, months),
    }
    for name, path in paths.items():
        log.info(describe(path, rows[name]))
    return paths


@click.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    show_default="demo/data",
    help="Folder to write the four exports into.",
)
@click.option(
    "--responses",
    type=click.IntRange(min=1),
    default=DEFAULT_RESPONSES,
    show_default=True,
    help="Survey responses to generate; the other files scale with it.",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=DEFAULT_SEED,
    show_default=True,
    help="Random seed.",
)
@click.option(
    "--corrupt-share",
    type=click.FloatRange(min=0, max=1),
    default=QUARANTINE_SHARE,
    show_default=True,
    help="Share of survey rows with an out-of-range answer (0.01 for benchmarks).",
)
def main(out: Path, responses: int, seed: int, corrupt_share: float) -> None:
    """Generate the Lumen Mobile demo exports (deterministic for a given size and seed)."""
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    generate(out, responses=responses, seed=seed, corrupt_share=corrupt_share)


if __name__ == "__main__":
    main()
