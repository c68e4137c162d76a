"""Voice of the customer and wins: what customers say, good and bad, and the wins to celebrate."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import charts, components, data, filters
from ui import format as fmt

BANDS = {"All scores": (0, 10), "Detractors (0-6)": (0, 6), "Passives (7-8)": (7, 8), "Promoters (9-10)": (9, 10)}

chosen = filters.current()
kpis = {str(row["kpi"]): row for row in data.catalog().query("status == 'ok'").to_dict("records")}
st.title("Voice of the customer")
st.caption(f"{chosen.slice_label} · positive and negative experiences, comments to read, and the wins")
components.freshness_line()
if chosen.period is None or chosen.period_end is None:
    st.info("No data yet.")
    st.stop()
since, until = chosen.period, chosen.period_end
period = fmt.period_label(since, chosen.grain, components.through())

balance = [name for name, info in kpis.items() if info["type"] == "positive_negative"]
if balance:
    kpi = balance[0]
    grain = chosen.grain if chosen.grain in list(kpis[kpi]["grains"]) else "month"
    breakdown = data.breakdown(kpi, grain, since)
    st.subheader(f"Positive and negative experiences · {period}")
    if not chosen.whole:
        st.caption("For the whole company: experiences are broken down one dimension at a time.")
    halves = st.columns(2)
    # Both halves equally tall, so their download buttons line up.
    tallest = max((int((breakdown["dimension"] == d).sum()) for d in ("channel", "journey_stage")), default=0)
    for half, dimension in zip(halves, ("channel", "journey_stage"), strict=True):
        rows = breakdown[breakdown["dimension"] == dimension]
        with half:
            st.markdown(f"**By {fmt.label(dimension).lower()}**")
            if rows.empty:
                st.caption("No experiences recorded in this period.")
                continue
            chart = charts.experience_counts(rows, group=fmt.label(dimension))
            st.altair_chart(chart, width="stretch", height=charts.bars_height(tallest))
            components.downloads(
                f"experiences_by_{dimension}", rows[["dimension_value", "positive", "neutral", "negative"]], chart
            )

st.subheader(f"What customers said · {period}")
voice = data.config().spec.voice
if voice is None:
    st.caption("Add a `voice:` section to config.yaml to read comments here.")
else:
    left, middle, right = st.columns([3, 2, 1])
    band = left.segmented_control("Score", list(BANDS), default="Detractors (0-6)", key="band") or "All scores"
    options = ["All", *sorted(data.dimension_values().query("dimension == 'channel'")["dimension_value"])]
    channel = str(middle.selectbox("Channel", options, key="comment_channel"))
    where: list[tuple[str, str]] = []
    if channel != "All":
        where.append(("channel", channel))
    if not chosen.whole:
        where.append((chosen.dimension, chosen.value))
    first, total = data.comments(since, until, BANDS[band], tuple(where), 0)
    pages = max(1, -(-total // data.COMMENTS_PER_PAGE))
    page = right.number_input(f"Page (of {pages})", min_value=1, max_value=pages, value=1, key="comment_page")
    shown, _ = data.comments(since, until, BANDS[band], tuple(where), int(page) - 1) if page > 1 else (first, total)
    if shown.empty:
        st.caption("No comments in this period with these filters.")
    else:
        columns = [voice.time_column, voice.score, voice.comment, *[f for f in voice.filters if f in shown]]
        readable = shown[columns].assign(
            **{voice.time_column: pd.to_datetime(shown[voice.time_column]).dt.strftime("%d %b %Y %H:%M")}
        )
        readable = readable.rename(columns={c: fmt.label(c) for c in columns})
        st.dataframe(
            readable,
            hide_index=True,
            width="stretch",
            column_config={fmt.label(voice.comment): st.column_config.TextColumn(width="large")},
        )
        st.caption(
            f"{total:,} comments; {data.COMMENTS_PER_PAGE} per page. The download has all of them"
            + (f" (the latest {data.COMMENTS_DOWNLOAD_MAX:,})." if total > data.COMMENTS_DOWNLOAD_MAX else ".")
        )
        scores, filtered = BANDS[band], tuple(where)
        components.downloads(f"comments_{since:%Y_%m_%d}", lambda: data.all_comments(since, until, scores, filtered))

st.subheader(f"Wins to celebrate · {period}")
wins = data.wins(since, until, limit=6, where=None if chosen.whole else (chosen.dimension, chosen.value))
if wins is None:
    st.info(
        "The wins wall is built when the data is refreshed, and this database was built before it existed. "
        "Run `python cli.py refresh` to build it.",
        icon=":material/info:",
    )
elif wins.empty:
    st.caption(f"No wins recorded in this period yet{'' if chosen.whole else ' for ' + chosen.slice_label}.")
else:
    praise, recovered = wins[wins["kind"] == "praise"], wins[wins["kind"] == "recovered"]
    left, right = st.columns(2)
    with left:
        st.markdown("**Praise worth sharing**")
        if praise.empty:
            st.caption("No promoter left a comment in this period.")
        for win in praise.to_dict("records"):
            with st.container(border=True):
                st.markdown(f"> {fmt.text(win['comment'])}")
                where_from = [fmt.text(v) for _, v in (win["filters"] or [])]
                st.caption(" · ".join([f"Score {int(win['score'])}", f"{pd.Timestamp(win['happened_at']):%d %b %Y}",
                                       *[w for w in where_from if w]]))  # fmt: skip
    with right:
        st.markdown("**Customers we won back**")
        if recovered.empty:
            st.caption("No detractor came back as a promoter in this period.")
        for win in recovered.to_dict("records"):
            with st.container(border=True):
                closed = " · :material/task_alt: loop closed" if fmt.flag(win["loop_closed"]) else ""
                st.markdown(f"**{int(win['before_score'])} → {int(win['score'])}**{closed}")
                if fmt.text(win["before_comment"]):
                    st.caption(f"Before ({pd.Timestamp(win['before_at']):%b %Y}): {fmt.text(win['before_comment'])}")
                if fmt.text(win["comment"]):
                    st.caption(f"Now: {fmt.text(win['comment'])}")
    components.downloads(f"wins_{since:%Y_%m_%d}", wins.drop(columns=["filters"]))
