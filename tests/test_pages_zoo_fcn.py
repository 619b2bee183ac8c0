"""AppTest of the FCN page: the default view from the shipped weights, and controls that change it."""
import numpy as np

from core.zoo import fcn

PAGE = "10_Zoo_FCN_segmentation.py"


def test_default_render_shows_a_scene_its_masks_and_the_iou(page):
    assert len(page.get("imgs")) >= 1 or len(page.get("image")) >= 1
    metrics = {m.label: m.value for m in page.metric}
    ev = fcn.evaluate(fcn.Source())
    assert metrics["Mean IoU of the three shapes"] == f"{ev.mean_iou:.3f}"
    notes = " ".join(i.value for i in page.info)
    assert "pixels get the right class" in notes and "hardest shape" in notes
    assert not page.error


def test_another_scene_and_class_change_the_pictures_and_numbers(page):
    before = " ".join(i.value for i in page.info)
    page.slider(key="fcn-scene").set_value(7).run()
    page.selectbox(key="fcn-class").set_value("triangle").run()
    after = " ".join(i.value for i in page.info)
    assert not page.exception
    assert "triangle probability runs from" in after and before != after


def test_a_link_with_train_it_yourself_trains_and_labels_the_view(page):
    page.query_params.update({"fcn-own": "true", "fcn-epochs": "1", "fcn-train": "300"})
    page.toggle(key="fcn-own").set_value(True).run()
    page.slider(key="fcn-epochs").set_value(1).run()
    page.select_slider(key="fcn-train").set_value(300).run()
    assert not page.exception
    captions = " ".join(c.value for c in page.caption)
    assert "**your** network" in captions and "1 epoch(s)" in captions
    assert len(page.get("vega_lite_chart")) >= 2  # the student's curves are drawn too
