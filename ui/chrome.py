"""The page chrome every page shares: page config, the sidebar (lesson map, presenter mode, share link,
device badge, reset), headings, and the classroom features that hang off them.

A page calls `page(...)` first, `section(...)` per section, `notice(...)` to close one, and
`end()` last. Besides drawing, these calls are the checkpoints of the shareable views
(ui/urls.py): after each, the note about URL values the page could not use and the sidebar's
share link are brought up to date, so the note appears even when a later section stops the
page with an error. `end()` adds what only the end can tell (URL parameters no widget claimed).
The walkthrough's panel (ui/tour.py) is drawn by `section()` above the section a step is about.
"""
from __future__ import annotations

import dataclasses
import gc
import html
import sys
import threading
from urllib.parse import urlencode

import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from core import compiled
from core.device import describe, pick_device
from ui import layout, lesson_map, presenter, streamlit_internals, tour, urls
from ui.lesson_map import CHAPTERS, COURSE
from ui.untrusted import escape

PAGE_ICON = ":material/neurology:"  # an icon font, not an emoji: no missing-glyph boxes
HOME = "Home.py"
# This run's facts, by section: {section title: [the facts dataclasses its notices were built from]}.
# tests/pages/test_walkthrough.py reads it (AppTest's session_state) to assert every walkthrough step's claims.
FACTS = "_lesson_facts"
OPEN_ALL = "_sections-open-all"  # session_state: open every section in this run (end(), and ?sections=all)
SECTIONS = tour.SECTIONS  # ?sections=all opens every section of the page
CLOSED_HINT = "A closed section is not drawn and runs none of its own code: click its heading to open it."
LAST_PAGE = "_sections-last-page"  # session_state: the chapter key of the session's last run
SENDS_AT_ONCE = "_sends-at-once"  # session_state: this session's run turned Nagle off (streamlit_internals 7.)
LINK = "link"  # OPEN_ALL's value when end() opened them for a link's values (urls.remember reads them again)

# This run's placeholders and walkthrough step. Streamlit runs a session's script in its own
# thread, and page()/home() reset it at the top of every run, so nothing leaks between sessions
# or runs; `_fresh()` tells whether page()/home() has set it up.
_run = threading.local()


_frozen_modules = 0  # len(sys.modules) at the last _freeze_imports()


def _freeze_imports() -> None:
    """Move everything alive now out of the garbage collector's sight, once per new batch of imports.

    Streamlit runs a full `gc.collect()` after every script run (`runner.postScriptGC`): with
    torch, pandas, scikit-learn and Altair imported that walks a very large heap with the GIL
    held, on every rerun of every session. Almost all of it is modules and what they made on
    import, alive until the server stops, so after `gc.freeze()` the collection has next to
    nothing left to walk. A page's script imports its modules before it calls `page()`, so here the
    imports are done; the collection first clears what earlier runs left in cycles.
    """
    global _frozen_modules
    if len(sys.modules) != _frozen_modules:
        _frozen_modules = len(sys.modules)
        gc.collect()
        gc.freeze()


def _fresh() -> bool:
    """page()/home() set `_run` up in this thread, so in this run: every page calls it first.

    No page uses st.fragment: a fragment's rerun skips page() and would write into the full run's
    placeholders, so a page that adds one keeps chrome calls out of it.
    """
    return getattr(_run, "began", False)


def slides_label(slides: str) -> str:
    """'Slide 9' for one slide, 'Slides 20-26' for a range or a list."""
    return f"Slides {slides}" if any(sep in slides for sep in "-,") else f"Slide {slides}"


# "Reset this page" reloads the page in the browser: a fresh session, so every widget shows its
# default again. Clearing st.session_state instead resets the values on the server only: the
# browser keeps showing (and sends back) the old values unless the page gives every widget a
# key and its default. Cached results are global, so the reload reruns cheaply. The link drops
# the URL's settings (they would come back otherwise), keeps presenter mode, and inside the
# walkthrough goes back to the step's own preset.
def _reset_link(href: str) -> str:
    return (
        f'<a href="{html.escape(href)}" title="Every control on this page back to its default; cached results '
        'stay." style="display:inline-block;padding:0.3rem 0.8rem;border:1px solid rgba(128,128,128,0.45);'
        'border-radius:0.5rem;color:inherit;text-decoration:none">&#8634; Reset this page</a>'
    )


def _link(page: str, label: str, icon: str) -> None:
    """A sidebar link, or plain text when Streamlit has not registered the page.

    That happens when a page script runs as the app's entry point on its own (e.g.
    `AppTest.from_file("pages/...")`); then there is no Home to link to.
    """
    try:
        st.sidebar.page_link(page, label=label, icon=icon)
    except StreamlitPageNotFoundError:
        st.sidebar.markdown(f"{icon} {label}")


# Streamlit 1.67 cuts a page link's label to one line with an ellipsis ("5. Vanishing gradients and batch n…");
# in the lesson map the whole chapter title wraps instead. (A style-only st.html takes no space.)
_NAV = '[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]'
_LABEL = '[data-testid="stMarkdownContainer"]'
WRAP_LINKS = (f"<style>{_NAV} span:has(> {_LABEL}), {_NAV} {_LABEL}, {_NAV} p "
              "{ white-space: normal; overflow: visible; height: auto; }</style>")


def _sidebar() -> None:
    """Lesson map, presenter mode, share link, device badge (the device the experiments run on) and reset."""
    st.sidebar.html(WRAP_LINKS)
    st.sidebar.markdown(f"### {COURSE}")
    _link(HOME, "Lesson map", ":material/home:")
    for number, chapter in enumerate(CHAPTERS, start=1):
        _link(chapter.page, f"{number}. {chapter.title}", ":material/play_circle:")
    st.sidebar.divider()
    presenter.toggle()
    # In a popover: its content is drawn only when opened, so the code element's highlighter (a 1.5 MB script
    # the browser parses for a quarter of a second) is not part of every page's first view.
    with st.sidebar.popover("Share this view", icon=":material/link:", width="stretch"):
        st.caption("The link opens this page as you see it: the same sections open, with every setting that "
                   "differs from its default. Copy it with the button at its right.")
        _run.share = st.empty()
    st.sidebar.divider()
    try:
        device = pick_device()
    except ValueError as error:  # e.g. LESSON_DEVICE=cuda on a machine without a GPU
        st.error(escape(str(error)))
        st.stop()
    st.sidebar.badge(
        f"Running on {describe(device)}",
        icon=":material/memory:",
        color="gray" if device.type == "cpu" else "green",
    )
    step = _run.step if _here(_run.step) else None
    st.sidebar.html(_reset_link(step.href(root()) if step else f"?{urlencode(presenter.carried())}"))


# Files the server keeps per session, the newest: one per uploader (a CSV on page 3, an image on page 6) plus
# the one that replaces it, which a browser sends before it deletes the file it replaces.
UPLOADS_PER_SESSION = 3


def _begin(key: str | None) -> None:
    """What every page and Home do first: remember the URL, draw the sidebar, apply presenter mode.

    `key`: the chapter's key, tour.HOME_KEY for Home, None for a page that is no chapter (a test's app).
    """
    compiled.warm_once()  # its modules among those frozen next
    _freeze_imports()
    _run.__dict__.clear()
    _run.began = True
    if st.runtime.exists():
        streamlit_internals.pace_reruns()
        if not st.session_state.get(SENDS_AT_ONCE):  # once a session: its own connection may predate the first
            streamlit_internals.send_without_delay()
            st.session_state[SENDS_AT_ONCE] = True
    streamlit_internals.cap_session_uploads(UPLOADS_PER_SESSION)
    again = st.session_state.get(OPEN_ALL) == LINK
    urls.remember(again=again)  # before any widget registers (presenter's)
    # The URL's values came with a link (this page's first run in the session, or end()'s run again for it), not
    # from controls the student then hid by closing their section.
    _run.from_link = again or st.session_state.get(LAST_PAGE) != key
    st.session_state[LAST_PAGE] = key
    if _run.from_link and st.query_params.get(SECTIONS) == "all":  # a link that opens every section; it stays in
        st.session_state[OPEN_ALL] = True  # the URL (a reload, the share link), and the student may close some
    _run.key = key
    _run.home = key == tour.HOME_KEY
    _run.step, _run.problem = tour.requested()
    _run.drawn = False
    _run.last = (None, None)
    _run.section = ""
    _run.box = None  # the open section's expander (section())
    _run.closed = []  # the keys of the sections closed in this run
    st.session_state[FACTS] = {}
    _sidebar()
    layout.apply()
    presenter.apply()


def root() -> str:
    """The app's address from the browser ('' when unknown, e.g. in AppTest: links are then relative)."""
    url = (st.context.url or "").rstrip("/")
    return url if getattr(_run, "home", True) or not url else url.rsplit("/", 1)[0]


def _here(step: tour.Step | None) -> bool:
    return step is not None and step.chapter == _run.key


def _top() -> None:
    """Under the title: the URL note's placeholder, and the walkthrough's panel or a word about it."""
    _run.note = st.empty()
    _run.top = st.empty()
    step = _run.step
    if _run.problem:
        st.warning(_run.problem, icon=":material/route:")
    elif step is not None and not _here(step):
        st.html(f"Walkthrough step {step.number} is on the page <b>{html.escape(step.chapter_title)}</b>: "
                + tour.link(f"Open step {step.number}: {step.title}", step.href(root()), True))
    elif step is not None and not step.section:
        _draw_step(_run.top)


def _draw_step(where) -> None:
    with where.container():
        tour.panel(_run.step, root())
    _run.drawn = True


def checkpoint(final: bool = False) -> None:
    """Bring the URL note and the share link up to date (see the module docstring).

    section(), notice() and end() call it; call it yourself before st.stop() so that the note
    still shows what the widgets above took (`final` only at the real end of the page).
    """
    if not _fresh() or not hasattr(_run, "note"):
        return  # page()/home() did not run before this
    found = urls.verdict(final)
    hidden = {}
    if final and _run.closed and not getattr(_run, "from_link", True):
        hidden, found.unknown = found.unknown, {}  # the controls of a section the student closed: no note
    text, link = urls.note(found), urls.share_link(drop=[*found.unknown, *hidden])
    if (text, link) == _run.last:
        return
    if text != _run.last[0]:
        if text:
            _run.note.warning(text, icon=":material/link_off:")
        else:
            _run.note.empty()
    if link != _run.last[1]:
        _run.share.code(link, language=None, wrap_lines=True)
    _run.last = (text, link)


def page(key: str, opening: str, lead: str = "") -> None:
    """Page config, shared sidebar, title, slide reference and `opening` paragraphs of the chapter `key`
    (ui/lesson_map).

    `lead`: markdown shown above them in every mode (a zoo page's Purpose / Architecture / Output); the
    opening itself goes behind a popover in presenter mode (see `intro`). Call it first on every page.
    """
    chapter = lesson_map.chapter(key)
    title, slides = chapter.page_title, chapter.slides
    st.set_page_config(page_title=f"{title} · {COURSE}", page_icon=PAGE_ICON, layout="wide")
    _begin(key)
    st.title(title, anchor=False)
    st.caption(slides_label(slides))
    _top()
    if lead:
        st.markdown(lead)
    intro(opening, "About this page")
    checkpoint()


def home(opening: str) -> None:
    """The same chrome for the home page, whose title is the course itself."""
    st.set_page_config(page_title=COURSE, page_icon=PAGE_ICON, layout="wide")
    _begin(tour.HOME_KEY)
    st.title(COURSE, icon=PAGE_ICON, anchor=False)
    _top()
    st.markdown(opening)
    checkpoint()


def section(title: str, slides: str | None = None, opened: bool | None = None) -> bool:
    """A page section: its heading, with the slides it follows in grey (and the walkthrough's panel above it);
    whether it is open. Use it as `if chrome.section(...):` followed by the section's code.

    The heading is an expander's label, and what follows draws inside it until the next section or `end()`.
    A closed section is not drawn and runs none of its own code (a zoo page may compute, from the cache, what
    several sections show before the first of them): a page's first view opens only its first section (or those
    `opened` says), so that it is drawn in about the time Streamlit needs for a one-line app, not the sum of
    every chart below. Opening one reruns the page; its state is in the URL (tour.section_key), so a shared
    link or a walkthrough step opens the sections it shows.
    """
    checkpoint()
    _close_section()
    step = _run.step if _fresh() else None
    if _here(step) and step.section and not _run.drawn and title.startswith(step.section):
        _draw_step(st)
    suffix = f" :gray[· {slides_label(slides).lower()}]" if slides else ""
    key = tour.section_key(getattr(_run, "key", None) or "page", title)
    if st.session_state.get(OPEN_ALL):
        st.session_state[key] = True
    hint = st.empty() if _fresh() and not _run.closed else None  # above the page's first closed section
    default = tour.opens_by_default(title) if opened is None else opened
    box = st.expander(f"{title}{suffix}", expanded=default, key=key, on_change="rerun", bind="query-params")
    box.__enter__()  # left by the next section() or end(): the section's code draws inside
    if _fresh():
        _run.section = title
        _run.box = box
        if not box.open:
            if hint is not None:
                hint.caption(CLOSED_HINT)
            _run.closed.append(key)
    return box.open


def needs(opened: bool, number: str) -> bool:
    """In a section that shows what section `number` computes from its own controls: whether that one is
    open (`opened`, what its section() returned). When it is not, a line says so, with a button that opens it."""
    if not opened:
        key = tour.section_key(_run.key, f"{number} ·")
        st.info(f"This section builds on section {number} (its settings and results), which is closed.",
                icon=":material/info:")
        st.button(f"Open section {number}", key=f"open-{key}", on_click=_open, args=(key,),
                  icon=":material/expand_more:")
    return opened


def _open(key: str) -> None:
    st.session_state[key] = True


def _close_section() -> None:
    box = getattr(_run, "box", None)
    if box is not None:
        _run.box = None
        box.__exit__(None, None, None)


def intro(text: str, label: str = "About this section") -> None:
    """The paragraph that opens a page or a section; in presenter mode it waits behind a popover named
    `label`: the teacher says it, and the experiment below keeps the projector's screen."""
    if presenter.is_on():
        with st.popover(label, icon=":material/notes:"):
            st.markdown(text)
    else:
        st.markdown(text)


def notice(text: str, *facts: object, section: str | None = None) -> None:
    """The "What to notice" box that closes a section: the lesson, tied to the numbers on screen.

    `facts`: the frozen dataclasses of facts (computed and unit-tested in core) that `text` was
    built from. The page only chooses words for them; they are recorded under the current section
    so that the walkthrough's claims about this section are asserted on the very same numbers.

    In presenter mode the box stays closed behind a "Reveal" button until the teacher presses it
    (predict, then reveal: the walkthrough's panel asks the class its question first); the
    facts are recorded all the same. `section`: the heading the facts belong to, for a notice drawn into an
    earlier section's container (the regularization page's baseline) instead of the latest section.
    """
    if any(not dataclasses.is_dataclass(f) or isinstance(f, type) for f in facts):
        raise TypeError("notice() takes the core facts dataclasses the sentence is built from")
    if _revealed():
        st.info(f"**What to notice:** {text}", icon=":material/lightbulb:")
    if _fresh():
        st.session_state.setdefault(FACTS, {}).setdefault(section or _run.section, []).extend(facts)
    checkpoint()


REVEALED = "_revealed"  # session_state: the keys of the notices a teacher has revealed in presenter mode


def _reveal(key: str) -> None:
    st.session_state.setdefault(REVEALED, set()).add(key)


def _revealed() -> bool:
    """Whether this notice is shown now; in presenter mode, while it is not, draw its Reveal button.

    One button per notice, keyed by the page, the section and the notice's place in it; a revealed
    notice stays open for the session (a walkthrough link opens a fresh one, closed again).
    """
    if not presenter.is_on():
        return True
    fresh = _fresh()
    where = f"{_run.key}-{_run.section}" if fresh else "page"
    counts = _run.__dict__.setdefault("notices", {}) if fresh else {}
    counts[where] = counts.get(where, 0) + 1
    key = f"reveal-{where}-{counts[where]}"
    if key in st.session_state.get(REVEALED, set()):
        return True
    st.button("Reveal: what to notice", key=key, icon=":material/visibility:", on_click=_reveal, args=(key,),
              help="Let the class predict first (the walkthrough's question), then show the lesson in the numbers.")
    return False


def end() -> None:
    """The last call of every page: the final URL note, and the walkthrough panel if its section never came.

    A link may set a control in a section it does not open (written by hand, or shared before sections could
    close): when the URL has values no control claimed while sections were closed, every section opens and the
    page runs again, so that each value finds its control or the note names it. Values of a section the student
    closed later in the session are neither opened again nor named; the share link leaves them out.
    """
    _close_section()
    if _fresh() and _run.closed and _run.from_link and urls.verdict(final=True).unknown:
        st.session_state[OPEN_ALL] = LINK
        st.rerun()
    st.session_state.pop(OPEN_ALL, None)
    checkpoint(final=True)
    if _fresh() and _here(_run.step) and not _run.drawn:
        _draw_step(_run.top)
