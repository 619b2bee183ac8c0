"""Streamlit-only helpers shared by the pages: page chrome, cached runners, chart placement, the lesson map."""
