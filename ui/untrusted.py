"""Text the app did not write (a link's values, an upload's names and cells, a typed word) shown in Markdown.

Streamlit renders st.markdown, st.error, st.warning and st.info bodies as Markdown, so such text must
not be able to open a link, an image or a colour directive there. Two ways to show it:

    code(text)     as a code span it cannot end, for a value a student should see exactly
    escape(text)   as plain text, every Markdown character backslash-escaped, for a sentence
"""
from __future__ import annotations

import re

MAX_CHARS = 200  # longer values are cut: a message is read, not a dump


def _printable(text: str) -> str:
    """Line breaks and other control characters as spaces (a blank line would end the span or the paragraph)."""
    return re.sub(r"[\x00-\x1f\x7f]", " ", text)


def code(text: str) -> str:
    """`text` as a Markdown code span that it cannot end: a fence of one backtick more than its longest run
    of backticks, its line breaks and other control characters as spaces, at most MAX_CHARS characters."""
    text = _printable(text)
    text = text if len(text) <= MAX_CHARS else text[:MAX_CHARS] + "…"
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def escape(text: str) -> str:
    """`text` as Markdown that renders as exactly that text: the characters that open a link, an image, code,
    emphasis, HTML, maths or a Streamlit directive (`:red[...]`, `:material/...:`; a bare http:// link) are
    escaped with a backslash anywhere, and a heading, list or quote marker at the start."""
    text = re.sub(r"([\\`*_\[\]<>!$:~|])", r"\\\1", _printable(text))
    text = re.sub(r"^(\s*)([#+=-])", r"\1\\\2", text)
    return re.sub(r"^(\s*\d+)([.)])", r"\1\\\2", text)  # "1." would open a list: a digit cannot be escaped
