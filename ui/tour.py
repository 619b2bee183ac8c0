"""The guided walkthrough: the lesson in slide order, one step per slide (or run of slides).

Each step is a link: its page, a preset of that page's settings in the URL (the same
`?key=value` a shared view carries, see ui/urls.py) and `tour=<step number>`. The page then
draws a panel just above the section the step is about: the step's paragraph and links to
the previous and next steps. The steps themselves are data, in walkthrough.toml next to
this module; tests/pages/test_classroom.py checks that every preset is accepted by its page.

The links load the page afresh (a plain link, not Streamlit's in-app navigation): a fresh
session, so the page shows exactly the preset and defaults for everything else, whatever the
student changed before. In-app navigation would restore earlier edits of that page (a bound
widget keeps its value for the session) and ignores new parameters on the same page.
Results are cached for everyone, so a step that was shown before opens quickly.
"""
from __future__ import annotations

import html
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st

from ui import layout, lesson_map, presenter, urls

DATA = Path(__file__).with_name("walkthrough.toml")
HOME = "Home.py"  # the entry page, whose address is the app's root
HOME_KEY = "home"  # a step's `chapter` for Home, which is no chapter of ui/lesson_map
PARAM = "tour"  # the URL parameter naming the step; ui/urls.APP_PARAMS keeps it out of the URL note
SECTIONS = "sections"  # ?sections=all opens every section of a page (ui/chrome.section); a zoo step's link has it
ANCHOR = "walkthrough"  # the panel's heading anchor; step links end in #walkthrough to scroll to it
LINK_STYLE = ("display:inline-block;padding:0.35rem 0.9rem;margin:0.2rem 0.5rem 0.2rem 0;border-radius:0.5rem;"
              "text-decoration:none;border:1px solid rgba(128,128,128,0.45);color:inherit")
PRIMARY_STYLE = LINK_STYLE + ";background:#0072B2;border-color:#0072B2;color:#ffffff"


def section_key(chapter: str, title: str) -> str:
    """The key, and URL parameter, of the open state of a page's section (ui/chrome.section), from the chapter's
    key and the section's heading: 'optimizers-section-3' for '3 · Fix 1: ...', 'neurons-section-tensor-form'
    for 'Tensor form: every point ...' (a heading without a number: its words before a colon). The chapter is
    in it because a session keeps a bound widget's value under its key on every page."""
    number = re.match(r"(\d+) ·", title)
    name = number.group(1) if number else re.sub(r"[^a-z0-9]+", "-", title.split(":")[0].lower()).strip("-")
    return f"{chapter}{layout.SECTION_INFIX}{name}"  # the infix: what the section's style sheets select


def opens_by_default(title: str) -> bool:
    """A page's first view opens its first section only (numbered 1); the others draw when a student opens them."""
    return title.startswith("1 ·")


@dataclass(frozen=True)
class Step:
    """One stop of the walkthrough."""

    number: int  # 1-based position in the walkthrough
    slides: str  # the slides it illustrates, as the deck numbers them ("22-23")
    chapter: str  # the chapter's key in ui/lesson_map, or HOME_KEY
    title: str
    text: str  # one paragraph: what to look at and why
    section: str  # start of the heading the panel goes above; "" puts it under the page title
    params: tuple[tuple[str, str | tuple[str, ...]], ...]  # the preset, as URL values
    checks: tuple[str, ...] = ()  # the text's claims, as expressions over the section's facts
    question: str = ""  # one question for the class, answerable from what the step shows (predict, then reveal)

    @property
    def page(self) -> str:
        """The step's page script, relative to lesson_map.APP_ROOT."""
        return HOME if self.chapter == HOME_KEY else lesson_map.chapter(self.chapter).page

    @property
    def chapter_title(self) -> str:
        """The chapter's title as the lesson map lists it ("Lesson map" for Home)."""
        return "Lesson map" if self.chapter == HOME_KEY else lesson_map.chapter(self.chapter).title

    @property
    def first_slide(self) -> int:
        return int(re.match(r"\d+", self.slides).group())

    @property
    def url_path(self) -> str:
        """Streamlit's address of the page: 'pages/2_Learning_cycle.py' -> 'Learning_cycle', Home.py -> ''."""
        return "" if self.page == HOME else re.sub(r"^\d+_", "", Path(self.page).stem)

    def query(self, in_tour: bool = True) -> dict[str, str | list[str]]:
        """The step's URL parameters: its preset, its number (`in_tour`) and presenter mode when it is on."""
        query: dict[str, str | list[str]] = {key: list(value) if isinstance(value, tuple) else value
                                             for key, value in self.params}
        if in_tour:
            query[PARAM] = str(self.number)
        if not self.section and self.chapter != HOME_KEY:  # a step about the whole page opens all of it
            query[SECTIONS] = "all"
        return query | presenter.carried()

    def href(self, root: str = "", in_tour: bool = True) -> str:
        """The step's link. `root`: the app's address ("" for a link relative to the current page).

        Without `in_tour` it is the same view with no walkthrough panel (leaving the tour).
        """
        base = f"{root.rstrip('/')}/{self.url_path}" if root else self.url_path or "./"
        query = urlencode(self.query(in_tour), doseq=True)
        return f"{base}?{query}#{ANCHOR}" if in_tour else f"{base}?{query}"


def _url_value(value: object) -> str | tuple[str, ...]:
    """A TOML value as the URL writes it: true/false, numbers as written, lists as repeated keys."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return tuple(str(_url_value(item)) for item in value)
    return str(value)


def parse(text: str) -> tuple[Step, ...]:
    """The steps of a walkthrough file, numbered in file order (the file is in slide order).

    A step's `chapter` must be HOME_KEY or a key of ui/lesson_map (a KeyError names the known keys).
    """
    raw = tomllib.loads(text)["step"]
    for entry in raw:
        if entry["chapter"] != HOME_KEY:
            lesson_map.chapter(entry["chapter"])
    return tuple(
        Step(number, entry["slides"], entry["chapter"], entry["title"], " ".join(entry["text"].split()),
             entry.get("section", ""), _opening(entry) + tuple((key, _url_value(v))
                                                               for key, v in entry.get("params", {}).items()),
             tuple(entry.get("checks", ())), " ".join(entry.get("question", "").split()))
        for number, entry in enumerate(raw, start=1)
    )


def _opening(entry: dict) -> tuple[tuple[str, str], ...]:
    """The URL value that opens the step's section, when the page does not open it by itself."""
    section = entry.get("section", "")
    if not section or opens_by_default(section):
        return ()
    return ((section_key(entry["chapter"], section), "true"),)


@cache
def steps() -> tuple[Step, ...]:
    """The walkthrough's steps, read once from walkthrough.toml."""
    return parse(DATA.read_text(encoding="utf-8"))


def requested() -> tuple[Step | None, str | None]:
    """(the step the URL asks for, or None; a sentence when the URL names a step that does not exist)."""
    asked = st.query_params.get(PARAM)
    if asked is None:
        return None, None
    every = steps()
    if re.fullmatch("[0-9]{1,3}", asked) and 1 <= int(asked) <= len(every):  # not str.isdigit: '²' is a digit
        return every[int(asked) - 1], None
    return None, f"The walkthrough has steps 1 to {len(every)}; {urls.code(f'{PARAM}={asked}')} is not one of them."


def link(label: str, href: str, primary: bool = False, tip: str = "") -> str:
    """An HTML link styled as a button; a plain link so that it loads the step afresh (module docstring).

    `tip`: the tooltip (the other step's title, where the label is only "Next ▶").
    """
    title = f' title="{html.escape(tip)}"' if tip else ""
    return (f'<a href="{html.escape(href)}"{title} style="{PRIMARY_STYLE if primary else LINK_STYLE}">'
            f"{html.escape(label)}</a>")


# The panel's title is a small heading (one line on a projector), and the panel is kept at the top of the
# window while the page is still drawing: content drawn above it after load (charts, images) would
# otherwise push it, and the experiment under it, down (seen in Chromium: 577 px down on step 3).
PANEL = '[class*="st-key-walkthrough-step-"]'
STYLE = (f"<style>{PANEL} h3 {{ font-size: 1.15rem; padding: 0; line-height: 1.35; }} "
         f"{PANEL} {{ scroll-margin-top: 0.5rem; }}</style>")
PIN_JS = """<script>
(() => {
  if (window.walkthroughPinned) return;  // once per page load: later reruns leave the scrolling to the reader
  window.walkthroughPinned = true;
  let stop = false, quiet = 0;
  const quit = () => { stop = true; };
  for (const e of ['wheel', 'touchstart', 'keydown', 'mousedown']) {
    addEventListener(e, quit, {once: true, passive: true});
  }
  const started = Date.now();
  const pin = () => {
    if (stop || Date.now() - started > 60000) return;
    const panel = document.querySelector('PANEL');
    const app = document.querySelector('[data-testid="stApp"]');
    if (panel && Math.abs(panel.getBoundingClientRect().top - 8) > 1) panel.scrollIntoView({block: 'start'});
    quiet = app && app.dataset.testScriptState === 'notRunning' ? quiet + 1 : 0;
    if (quiet < 10) setTimeout(pin, 200);  // until the page has been drawn for 2 s
  };
  pin();
})();
</script>""".replace("PANEL", PANEL)


def panel(step: Step, root: str) -> None:
    """The step's box: its title, the question for the class, and one row of controls.

    The row: previous / next (their titles as tooltips), the step picker (every step, in a popover that
    stays visible in presenter mode, where expanders are hidden), the paragraph (under the question
    when presenter mode is off, in a popover when it is on, so the experiment keeps the screen) and
    a link that leaves the walkthrough.
    """
    every = steps()
    before = every[step.number - 2] if step.number > 1 else None
    after = every[step.number] if step.number < len(every) else None
    home = f"{root.rstrip('/')}/" if root else "./"
    with st.container(border=True, key=f"walkthrough-step-{step.number}", gap="small"):
        st.subheader(step.title, anchor=ANCHOR)
        if step.question:
            st.markdown(f":material/quiz: **Ask the class:** {step.question}")
        if not presenter.is_on():
            st.markdown(step.text)
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            links = [link("◀ Previous", before.href(root), tip=f"Previous: {before.title}") if before else
                     link("◀ Lesson map", home),
                     link("Next ▶", after.href(root), primary=True, tip=f"Next: {after.title}") if after else
                     link("Finish ▶", home, primary=True),
                     link("Leave", step.href(root, in_tour=False), tip="Leave the walkthrough: the same view, "
                          "without this panel")]
            st.html(STYLE + "".join(links) + PIN_JS, width="content", unsafe_allow_javascript=True)
            slides = f"{'slides' if re.search('[-,]', step.slides) else 'slide'} {step.slides}"
            with st.popover(f"Step {step.number} of {len(every)} · {slides}", icon=":material/route:",
                            help="Every step of the walkthrough: open any one of them"):
                listing(root, columns=3, current=step.number)
            if presenter.is_on():
                with st.popover("About this step", icon=":material/notes:"):
                    st.markdown(step.text)


def runs(every: tuple[Step, ...]) -> list[tuple[str, list[Step]]]:
    """The steps in order, cut into runs on one chapter: (chapter, its steps); a chapter can come back."""
    out: list[tuple[str, list[Step]]] = []
    for step in every:
        if out and out[-1][0] == step.chapter_title:
            out[-1][1].append(step)
        else:
            out.append((step.chapter_title, [step]))
    return out


def listing(root: str, columns: int = 3, current: int | None = None) -> None:
    """Every step in order, in runs of one chapter, each step a link that opens it (Home, the panel's picker).

    `current`: the step on screen, shown in bold.
    """
    every = steps()
    per_column, slots, filled = -(-len(every) // columns), st.columns(columns, gap="large"), 0
    blocks: list[list[str]] = [[] for _ in range(columns)]
    for chapter, members in runs(every):
        items = "".join(
            f'<li value="{s.number}"><a href="{html.escape(s.href(root))}" style="color:#0072B2;'
            f'text-decoration:none{";font-weight:700" if s.number == current else ""}">{html.escape(s.title)}</a>'
            f' <span style="opacity:0.6">· slide{"s" if re.search("[-,]", s.slides) else ""}&nbsp;'
            f'{html.escape(s.slides)}</span></li>'
            for s in members)
        blocks[min(filled // per_column, columns - 1)].append(
            f"<b>{html.escape(chapter)}</b><ol style='margin:0.2rem 0 0.8rem 0'>{items}</ol>")
        filled += len(members)
    for slot, block in zip(slots, blocks):
        if block:
            slot.html("".join(block))
