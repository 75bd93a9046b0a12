"""The diagram's layout is plain arithmetic on text sizes: checked here without a window."""
from __future__ import annotations

import pytest

from visualizer.views.diagram.layout import MAX_THUMBNAILS, PAD, TextSizes, compute

SIZES = TextSizes(line=17.0, small_line=14.0, example_caption=140.0, widest_name=60.0, probability=45.0,
                  widest_number=55.0, widest_tag=150.0)
LARGE = TextSizes(line=34.0, small_line=27.0, example_caption=280.0, widest_name=120.0, probability=90.0,
                  widest_number=110.0, widest_tag=300.0)


@pytest.mark.parametrize("hidden", [1, 3, 10, 16, 17, 40, 128, 1024])
@pytest.mark.parametrize("sizes, presenter", [(SIZES, False), (LARGE, True)], ids=["normal", "presenter"])
def test_nodes_sit_in_order_inside_the_body_and_the_columns_do_not_overlap(hidden, sizes, presenter):
    layout = compute(hidden, sizes, presenter=presenter)
    top, bottom = layout.body
    for rows, radius in ((layout.hidden_y, layout.radius), (layout.output_y, layout.output_radius)):
        assert list(rows) == sorted(rows) and len(set(rows)) == len(rows)
        assert rows[0] - radius >= top and rows[-1] + radius <= bottom
    assert len(layout.hidden_y) == hidden and len(layout.output_y) == 10
    # left to right: tile, bundle, thumbnails, hidden nodes, W2, outputs, names, probabilities, pills, tags
    assert layout.tile.right() < layout.bundle_x < layout.thumbnails_right < layout.hidden_x - layout.radius
    assert layout.hidden_x + layout.radius < layout.output_x - layout.output_radius
    assert layout.output_x + layout.output_radius < layout.name_x < layout.probability_right < layout.gradient_x
    assert layout.gradient_x + layout.pill_width < layout.tag_x < layout.width
    regions = [layout.regions[name] for name in ("W1", "hidden", "W2", "output")]
    for left, right in zip(regions, regions[1:]):      # side by side; neighbours may share their padding
        assert left.center().x() < right.center().x() and left.right() - right.left() <= PAD
    assert all(0 <= rect.left() and rect.right() <= layout.width for rect in layout.emphasis.values())


@pytest.mark.parametrize("hidden", [1, 10, 16, 17, 40, 128])
def test_at_most_sixteen_thumbnails_each_beside_its_unit_and_inside_the_body(hidden):
    layout = compute(hidden, SIZES)
    assert len(layout.thumbnails) == len(layout.thumbnail_units) <= MAX_THUMBNAILS
    assert layout.thumbnail_units[0] == 0 and all(0 <= unit < hidden for unit in layout.thumbnail_units)
    stride = layout.thumbnail_stride
    assert list(layout.thumbnail_units) == list(range(0, hidden, stride))
    for rect, unit in zip(layout.thumbnails, layout.thumbnail_units):
        assert layout.body[0] <= rect.top() and rect.bottom() <= layout.body[1]
        assert rect.right() <= layout.thumbnails_right
        # the bundle line of a unit with a thumbnail ends at it, the others at the node
        assert layout.bundle[unit][1].x() == rect.left()
    for pictures in zip(layout.thumbnails, layout.thumbnails[1:]):
        assert not pictures[0].intersects(pictures[1])


def test_caption_rows_and_footer_come_in_order_below_each_other():
    layout = compute(10, SIZES)
    rows = [row.y for row in layout.caption_rows]
    assert rows[0] < rows[1] < layout.top and layout.body[1] < rows[2] < rows[3]
    assert rows[3] < layout.thumbnail_note_at.y() < layout.footer_y < layout.hover_y < layout.height


def test_the_body_follows_the_panels_shape_within_its_range():
    layout = compute(10, SIZES)
    assert layout.fitted_body_height(layout.width, layout.height) is None     # the scene has the panel's shape
    low_and_wide = layout.fitted_body_height(3 * layout.width, layout.height)
    assert low_and_wide == pytest.approx(layout.body_range[0])
    refitted = compute(10, SIZES, low_and_wide)
    assert refitted.body_height == low_and_wide and refitted.height < layout.height
    tall = layout.fitted_body_height(layout.width, 3 * layout.height)
    assert tall == pytest.approx(layout.body_range[1])
    # a shape a little off (within 8 %) keeps the body
    assert layout.fitted_body_height(layout.width, layout.height * 1.03) is None


def test_presenter_mode_grows_the_drawing_and_thickens_the_lines():
    normal, presenter = compute(10, SIZES), compute(10, SIZES, presenter=True)
    assert presenter.lines > normal.lines == 1.0
    assert presenter.tile.width() > normal.tile.width() and presenter.body_height > normal.body_height
