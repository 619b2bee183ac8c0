"""AppTest of the CNN page: the shipped model at defaults, another digit changes the maps, a trained model every
view."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block

from core.zoo import cnn, cnn_lab, weights
from core.zoo.source import Inspect, Source
from tests.conftest import every_section_open
from tests.pages.conftest import charts as chart_specs, images, tables, trained_at_blown_lr
from tests.pages.table_fit import PAGE_PX, width_px
from ui.lesson_map import APP_ROOT

PAGE = "8_Zoo_CNN.py"
# softmax probabilities, confusion matrix, validation curves, shifted digits; section 6: the layer's input, the
# clickable feature map, the worked grids, the pooling window; section 7: padded picture, kernel, output, worked grids
N_CHARTS = 12


def test_default_render_shows_the_shipped_cnn(page):
    assert page.title[0].value == "Zoo: convolutional neural network (CNN)"
    assert not page.error and not page.warning
    assert len(page.get("vega_lite_chart")) == N_CHARTS
    seen = cnn_lab.inspect(Inspect(Source("cnn")), cnn.shipped())
    assert len(images(page)) == 2 + 1 + 6 + len(seen.wrong)  # filters, the digit, 6 layers of maps, the mistakes
    notices = [n.value for n in page.info]
    assert len(notices) == 6 and all("What to notice" in n for n in notices)
    _, meta = weights.load("cnn_digits")
    assert f"{meta['val_accuracy']:.1%}" in notices[2] and f"{meta['parameters']:,}" in notices[0]
    assert any("shipped weights" in c.value for c in page.caption)
    board = next(df for df in tables(page) if "model" in df.columns).set_index("model")
    assert board.loc["CNN", "parameters"] == meta["parameters"]


def test_the_notices_say_what_the_shipped_numbers_show(page):
    """Issue 16: conv2's filters have 8 × 3 × 3 = 72 weights (not 9); a tie in the first epoch at 95 % reads as one."""
    notices = [n.value for n in page.info]
    assert "conv1 filter reads the digit alone: 1 × 3 × 3 = 9 weights" in notices[0]
    assert "8 × 3 × 3 = 72 weights" in notices[0] and "its 9 weights" not in notices[0]
    assert "both first pass 95% at epoch 8" in notices[3] and "epoch 8 and epoch 8" not in notices[3]
    assert "most often 3s read as 5s and 9s read as 8s (3 times each)" in notices[2]  # a tie, not "the most common"


def test_choosing_another_digit_changes_the_maps_and_the_probabilities(page):
    charts, pictures = chart_specs(page), images(page)
    page.number_input(key="image").set_value(12).run()
    assert not page.exception
    after, after_pictures = chart_specs(page), images(page)
    assert after[0] != charts[0] and after[1:] == charts[1:]  # only the softmax chart depends on the digit
    # a new digit and new maps, the same filters
    assert after_pictures[2:9] != pictures[2:9] and after_pictures[:2] == pictures[:2]
    assert f"this {int(cnn.digits().y_val[12])}." in page.info[1].value


def test_a_link_with_train_it_yourself_opens_its_button_which_trains_and_switches_every_view(page):
    """A teacher's link opens the page with the student's recipe and its button; the press trains it (issue 18)."""
    at = every_section_open(AppTest.from_file(str(APP_ROOT / "pages" / PAGE), default_timeout=120))
    at.query_params.update({"cnn-own": "true", "filters": "4 and 8", "cnn-epochs": "5"})
    at.run()
    assert not at.exception and not at.error
    recipe = cnn.Recipe(filters=(4, 8), epochs=5)
    assert [b.label for b in at.button] == [f"Train it (about {cnn.expected_seconds(recipe):.0f} s)"]
    assert any("the shipped weights" in c.value for c in at.caption)  # the link alone trains nothing
    assert any("Until yours is trained, every view below shows the shipped networks" in c.value for c in at.caption)
    at.button(key="cnn-own-run-start").click().run()
    assert not at.exception and not at.error
    assert any("**your** networks: 5 epochs" in c.value for c in at.caption)
    params = weights.count(cnn.build(cnn.Recipe(filters=(4, 8), epochs=5)))
    assert f"with {params:,} weights" in at.info[3].value
    assert any("4 × 8 × 8" in m.value for m in at.markdown)  # the diagram: conv1 now makes 4 maps
    assert chart_specs(at)[2] != chart_specs(page)[2]  # the validation curves are the new run's


def test_a_run_whose_loss_blows_up_says_so_beside_its_networks(monkeypatch):
    """Issue 19: the trainer's sentence for a loss that overflowed reaches the page, under the run's caption. No
    widget reaches such a learning rate (Adam's is capped at 0.1), so the test trains at one no recipe accepts."""
    at = trained_at_blown_lr(monkeypatch, cnn, PAGE, {"cnn-own": "true", "filters": "4 and 8", "cnn-epochs": "5"})
    said = cnn.train(cnn.Recipe(filters=(4, 8), epochs=5)).messages  # the same seeded run: the same sentences
    assert set(said) == {"CNN", "MLP"} and all("at epoch 1: the learning rate is too large" in m for m in said.values())
    kept = " So the page shows its weights from epoch 0, before any training."  # both blew up at epoch 1
    warnings = [f"**{variant}:** {message}{kept}" for variant, message in said.items()]
    assert [w.value for w in at.warning] == warnings
    box = next(block for block in at.main.children.values()  # the "which networks" box, with the run's caption
               if isinstance(block, Block) and any("**your** networks" in c.value for c in block.caption))
    assert [w.value for w in box.warning] == warnings


def test_networks_that_kept_epoch_0_are_not_credited_with_training(monkeypatch):
    """Lecturer's review: a pair blown up at epoch 1 keeps its untrained weights, yet the page said "both networks
    trained", "What the filters learned", "neither passes 95% within 1 epochs" and "these shared filters bought the
    CNN no tolerance to a shift". It says what it shows instead; the architecture's counts stay."""
    at = trained_at_blown_lr(monkeypatch, cnn, PAGE, {"cnn-own": "true", "filters": "4 and 8", "cnn-epochs": "5"})
    caption = next(c.value for c in at.caption if "**your** networks" in c.value)
    assert "asked for 5 epochs of Adam" in caption and "the training stopped where a loss blew up (below)" in caption
    assert "both networks trained" not in caption
    headings = [e.label for e in at.expander]  # the sections' headings
    assert any(h.startswith("2 · The filters, untrained (random weights)") for h in headings)
    assert not any("What the filters learned" in h for h in headings)
    untrained = ("**What to notice:** the CNN and the MLP kept the weights of epoch 0: their loss blew up in the first "
                 "epoch, so what this section shows of them comes from the random weights they started with, not "
                 "from training.")
    notices = [n.value for n in at.info]
    assert len(notices) == 6 and "conv1 filter reads the digit alone" in notices[0]
    assert notices[1:4] == [untrained] * 3  # sections 6 and 7 are arithmetic, true of any weights
    text = " ".join(m.value for m in at.markdown)
    assert "Here a loss blew up, so the board reads the CNN at epoch 0 and the MLP at epoch 0" in text
    assert "within 1 epochs" not in " ".join(notices) and "bought the CNN" not in " ".join(notices)


def test_the_board_fits_the_page_without_scrolling(page):
    board = next(df for df in tables(page) if "model" in df.columns)
    assert board.shape == (2, 7) and "95% val accuracy at epoch" in board.columns
    assert width_px(board) <= PAGE_PX  # the longer header "first epoch at 95% validation accuracy" made it scroll
