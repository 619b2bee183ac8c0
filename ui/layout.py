"""Layout rules every page shares, so that it fits a laptop, a projector and a phone.

One style sheet, added by the chrome at the top of every run (an st.html of style only takes no space).
The rules are global (Streamlit's test ids), so pages keep using plain st.columns, st.latex and st.image;
tests/e2e/test_layout.py measures clipping and overflow on every page at the sizes the app must fit.

What Streamlit does by itself, and what each rule changes (all seen in Chromium at 1024x768 with the
sidebar open, where the main column is 564 px wide, and in presenter mode, which zooms text by 1.3):
- the main column keeps 5rem of empty space on each side at any width: here it shrinks with the window;
- labels of buttons, links, metrics and widgets are one line cut with an ellipsis: here they wrap;
- a multiselect keeps its chips on one line that scrolls (chips past the box are hidden): here they wrap;
- a displayed equation is one line that scrolls sideways: here it breaks after a relation or an
  operator (=, +) as a paragraph breaks after a word (ui/maths.py adds break points between matrices);
- columns keep their share of the width however narrow: here a column holding a chart, a picture, a
  table or an equation is at least WIDE_COLUMN wide, one holding a select box CHOICE_COLUMN, any column
  NARROW_COLUMN, so three maps side by side go two-up (at equal widths), then one-up (st.columns
  already lets its columns wrap), and a row of four figures that cannot hold four goes two-up too (three
  fitted and the fourth, wrapped alone, stretched across the row);
- a chart drawn wider than its column (a faceted chart has a fixed width per panel) is cut: here it is
  scaled down to the column's width (the browser test still reports one shrunk below 80%), and so is a
  picture drawn at a fixed width wider than its column; a static table's long cells may break anywhere.
"""
from __future__ import annotations

import streamlit as st

NARROW_COLUMN = "8rem"
WIDE_COLUMN = "15rem"
CHOICE_COLUMN = "15rem"  # a select box shows its choice on one line, which cannot wrap
_COLUMN = '[data-testid="stColumn"]'
_HOLDS_A_FIGURE = ", ".join(('[data-testid="stVegaLiteChart"]', '[data-testid="stImage"]',
                             '[data-testid="stDataFrame"]', '[data-testid="stTable"]', ".katex-display"))
_TAGS = '[data-testid="stMultiSelectTagsContainer"]'
# A row of three or more columns measures its own width (a size container) so that its figures can go two-up
# at equal widths when three do not fit: without it the third, wrapped alone, stretches across the row.
_ROW_OF_THREE = f'[data-testid="stHorizontalBlock"]:has(> {_COLUMN} ~ {_COLUMN} ~ {_COLUMN})'
_ROW_OF_FOUR = f'[data-testid="stHorizontalBlock"]:has(> {_COLUMN} ~ {_COLUMN} ~ {_COLUMN} ~ {_COLUMN})'
# A page's section (ui/chrome.section) is an expander keyed "<chapter>-section-<n>" (ui/tour.section_key), in a
# wrapper Streamlit classes by that key; presenter mode keeps it too. It is drawn as a heading: no box, its label a
# subheading's size (child selectors only: a folded code listing inside a section keeps an expander's look).
SECTION_INFIX = "-section-"
SECTION_WRAPPER = f'[class*="st-key-"][class*="{SECTION_INFIX}"]'
_SECTION = f'{SECTION_WRAPPER} > [data-testid="stExpander"]'
# A folded figure (ui/show.folded(..., figure=True)): an expander keyed "<key>-figure-" that holds a chart, not a
# detail; presenter mode, which hides the folded details, keeps it so that a teacher can open it on the projector.
FIGURE_INFIX = "-figure-"
FIGURE_WRAPPER = f'[class*="st-key-"][class*="{FIGURE_INFIX}"]'
TWO_UP, THREE_UP, FOUR_UP = "31rem", "47rem", "63rem"  # two, three, four WIDE_COLUMNs and their gaps

CSS = f"""<style>
/* ui/layout.py */
[data-testid="stMainBlockContainer"] {{ padding-left: clamp(1rem, 4%, 5rem); padding-right: clamp(1rem, 4%, 5rem); }}
.stMarkdownEllipsis, .stMarkdownEllipsis * {{
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
  height: auto !important; }}
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] > div, [data-testid="stMetricValue"] {{
  height: auto !important; overflow: visible !important; }}
[data-testid="stPageLink-NavLink"] span:not([data-testid="stIconMaterial"]) {{
  white-space: normal; overflow: visible; text-overflow: clip; }}
{_TAGS}, {_TAGS} > span {{ flex-wrap: wrap; overflow: visible; }}
div:has(> {_TAGS}) {{ max-height: none !important; height: auto !important; }}
{_TAGS} [data-tag], {_TAGS} [data-tag] > span {{
  height: auto; max-width: 100%; white-space: normal; overflow: visible; text-overflow: clip; }}
.katex-display > .katex, .katex-display > .katex > .katex-html {{ white-space: normal; }}
.katex-display > .katex > .katex-html > .base {{ margin: 0.15em 0; }}
[data-testid="stVegaLiteChart"], [data-testid="stImage"], [data-testid="stImage"] img {{ max-width: 100%; }}
[data-testid="stImage"] img {{ height: auto; }}
[data-testid="stImageContainer"] {{ min-width: 0; max-width: 100%; }}
[data-testid="stTable"] :is(th, td), [data-testid="stTable"] :is(th, td) * {{
  white-space: normal; overflow-wrap: anywhere; }}
[data-testid="stVegaLiteChart"] > :is(svg, canvas).marks {{ max-width: 100%; height: auto; }}
{_SECTION} > details {{ border: none; }}
{_SECTION} > details > summary {{ padding-left: 0; padding-right: 0; }}
{_SECTION} > details > summary p {{ font-size: 1.5rem; font-weight: 600; line-height: 1.3; }}
{_SECTION} > details > [data-testid="stExpanderDetails"] {{ padding-left: 0; padding-right: 0; }}
{_COLUMN} {{ min-width: min(100%, {NARROW_COLUMN}); }}
{_COLUMN}:has({_HOLDS_A_FIGURE}) {{ min-width: min(100%, {WIDE_COLUMN}); }}
{_COLUMN}:has([data-testid="stSelectbox"]) {{ min-width: min(100%, {CHOICE_COLUMN}); }}
{_ROW_OF_THREE} {{ container-type: inline-size; }}
@container (min-width: {TWO_UP}) and (max-width: {THREE_UP}) {{
  {_COLUMN}:has({_HOLDS_A_FIGURE}) {{ flex: 1 1 calc(50% - 2rem); max-width: calc(50% - 0.5rem); }}
}}
@container (min-width: {THREE_UP}) and (max-width: {FOUR_UP}) {{
  {_ROW_OF_FOUR} > {_COLUMN}:has({_HOLDS_A_FIGURE}) {{ flex: 1 1 calc(50% - 2rem); max-width: calc(50% - 0.5rem); }}
}}
</style>"""


def apply() -> None:
    """Add the layout style sheet to this run's page."""
    st.html(CSS)
