"""AppTest of the zoo overview page: six architecture cards and the table of shipped models."""
from core.zoo import overview
from tests.pages.conftest import opened, tables
from tests.pages.table_fit import PAGE_PX, width_px
from ui import lesson_map

PAGE = "7_Zoo_overview.py"


def test_default_render_has_a_card_per_architecture_and_the_shipped_models(page):
    text = " ".join(m.value for m in page.markdown)
    for name in overview.architectures()["architecture"]:
        assert f"#### {name}" in text
    assert text.count("**Purpose:**") == 6 and text.count("**Output:**") == 6
    shipped = overview.shipped()
    assert len(shipped) > 0  # the weight files are in the repository
    frames = tables(page)
    assert any(list(f.get("asset", [])) == list(shipped["asset"]) for f in frames)
    assert len(page.get("vega_lite_chart")) == 1
    notes = " ".join(i.value for i in page.info)
    assert f"{int(shipped.parameters.max()):,} weights" in notes
    # the table of cards names each chapter's page, which the lesson map finds from the chapter's key; it is drawn
    # only once its expander is opened (ui.show.folded)
    assert not any("purpose" in df.columns for df in frames)
    cards = next(df for df in tables(opened(page, "zoo-as-table")) if "purpose" in df.columns)
    assert cards["page"].tolist() == [lesson_map.chapter(a.key).page for a in overview.ARCHITECTURES]


def test_the_page_says_where_the_models_run(page):
    """They run in the app's Python process on the server; the page said "in your browser" (issue 16)."""
    intro = " ".join(m.value for m in page.markdown)
    assert "runs in your browser" not in intro and "runs on the server" in intro


def test_the_model_tables_fit_the_page_without_scrolling(page):
    shipped = overview.shipped()
    assert len(shipped) > 0
    models = [df for df in tables(page) if list(df.get("asset", [])) == list(shipped["asset"])]
    assert len(models) == 2  # what each model learns; how big and how good it is
    assert models[0]["zoo page"].str.len().max() <= 16  # "FCN", not "Fully convolutional network", cut in its cell
    # every column still shown; the owner column says which page a model is on, not its architecture (the CNN
    # page ships an MLP too: the table called cnn_mlp_digits a CNN)
    assert set(shipped.columns) - {"architecture"} | {"zoo page"} == set().union(*(t.columns for t in models))
    assert all(width_px(t) <= PAGE_PX for t in models)  # as one table it was 1,750 px


def test_every_card_link_fits_its_card(page):
    # AppTest registers no other page, so show.page_link writes "label (`page`)" as text.
    links = [m.value.split(" (`")[0] for m in page.markdown if m.value.startswith("Open the ")]
    assert len(links) == 6
    assert max(map(len, links)) <= 30  # "Open the Fully convolutional network page" (41) was clipped at 38 in a card


def test_the_notice_names_the_largest_model_and_would_name_every_one_that_ties(page):
    """Lecturer's review: four Transformers once tied at 27,292 weights and the notice named one as "the largest
    model"; since the encoder-decoder shipped, it alone is the largest (ties: tests/zoo/test_zoo_overview.py)."""
    facts = overview.shipped_facts(overview.shipped())
    notes = " ".join(i.value for i in page.info)
    assert facts.n_largest == 1 and "the largest models here" not in notes
    assert (f"the largest model here, **{facts.largest_assets[0]}** (Transformer), has {facts.largest_parameters:,} "
            "weights and the smallest, **cnn_digits** (CNN), 3,658;") in notes
    measured = next(df for df in tables(page) if "measured" in df.columns).set_index("asset")["measured"]
    assert measured["fcn_scenes"].startswith("val mean IoU over the three shapes 0.843")
