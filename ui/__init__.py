"""The Streamlit layer. It only presents: data comes from `ui.data`, rules from `kpis`."""
