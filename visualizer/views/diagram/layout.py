"""Where everything of the diagram goes: sizes in, positions and rectangles out, in scene units.

`measure` reads the text sizes from the fonts; `compute` is plain arithmetic on them, so a test can lay the
diagram out for any hidden width, body height and text size without a window. Left to right: the input tile,
the W1 bundle ending in the thumbnails, the hidden units, the W2 edges, the outputs with their names,
probabilities, gradient pills and tags; captions above and below the body, the footer under them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PyQt6.QtCore import QPointF, QRectF
from PyQt6.QtGui import QFont, QFontMetricsF

BODY_HEIGHT = 360.0        # scene units from the first to the last node row (less in a wide, low panel)
TILE = 130.0               # the input image's side
BUNDLE_WIDTH = 90.0
W2_SPAN = 190.0
MARGIN = 14.0
PAD = 8.0                  # between the body's rows and the regions lit around them
MAX_THUMBNAILS = 16        # above this the thumbnails show every n-th hidden unit
REFIT = 0.08               # the body height follows the panel's shape when it is off by more than this share
# Presenter mode draws the scene at this scale (pixels per scene unit) where the panel allows: its captions then come
# out at about 13 pt and the nodes' numbers at 19 pt, and the body takes the panel's height, the W2 edges its width.
PRESENTER_SCALE = 0.75
MAX_W2_SPAN = 4 * W2_SPAN  # beyond this the edges are all but horizontal: a wide panel makes everything larger
EXAMPLE_CAPTION = "train #00,000 of 00,000"      # the widest caption under the input tile
WIDEST_NUMBER = "−0.0e−00"                        # the widest number formatting.short writes
TAGS = ("◀ label", "◀ prediction ✗ wrong", "◀ label = prediction ✓")


@dataclass(frozen=True)
class TextSizes:
    """The text sizes the layout leaves room for, in scene units."""
    line: float                 # the height of a line in the normal font
    small_line: float           # … in the small font
    example_caption: float      # the width of EXAMPLE_CAPTION in the small font
    widest_name: float          # the widest class name, bold
    probability: float          # "100.0%" in the normal font
    widest_number: float        # WIDEST_NUMBER in the small font
    widest_tag: float           # the widest of TAGS, bold


def measure(font: QFont, bold: QFont, small: QFont, class_names: tuple[str, ...]) -> TextSizes:
    normal, strong, little = (QFontMetricsF(f) for f in (font, bold, small))
    return TextSizes(normal.height(), little.height(), little.horizontalAdvance(EXAMPLE_CAPTION),
                     max(strong.horizontalAdvance(name) for name in class_names), normal.horizontalAdvance("100.0%"),
                     little.horizontalAdvance(WIDEST_NUMBER), max(strong.horizontalAdvance(tag) for tag in TAGS))


@dataclass(frozen=True)
class CaptionRow:
    """A row of captions: its middle, and per part the span the caption is centred on (None: the row above's)."""
    y: float
    spans: dict[str, tuple[float, float]]


@dataclass(frozen=True)
class Layout:
    hidden: int
    presenter: bool
    lines: float                          # pen widths scale with the type: 1.7 in presenter mode
    width: float                          # the scene
    height: float
    body_height: float
    body_range: tuple[float, float]       # the body heights the panel's shape may choose from
    top: float                            # the first node row's top
    body: tuple[float, float]             # the regions' top and bottom
    hidden_x: float
    hidden_y: tuple[float, ...]
    radius: float                         # of a hidden node
    output_x: float
    output_y: tuple[float, ...]
    output_radius: float
    tile: QRectF                          # the input image
    label_at: QPointF                     # the middle of the label caption under the tile
    example_at: QPointF                   # … of the example caption under it
    bundle_x: float                       # where the W1 bundle leaves the tile
    thumbnail_units: tuple[int, ...]      # the hidden units whose W1 row is drawn
    thumbnails: tuple[QRectF, ...]        # their pictures
    thumbnails_right: float               # the right edge of the thumbnail columns
    thumbnail_stride: int
    bundle: tuple[tuple[QPointF, QPointF], ...]   # per hidden unit: where its bundle line starts and ends
    name_x: float
    probability_right: float
    pill_width: float
    pill_height: float
    pill_header_y: float
    hidden_pills: bool                    # room for a dZ1 pill beside each hidden node
    hidden_pill_x: float
    gradient_x: float                     # the dZ2 pills' left edge
    tag_x: float
    regions: dict[str, QRectF]            # what a phase lights: W1, hidden, W2, output
    emphasis: dict[str, QRectF]           # … and what a lesson can mark (the regions and the input)
    caption_rows: tuple[CaptionRow, ...]
    thumbnail_note_at: QPointF
    footer_y: float
    hover_y: float
    # Presenter mode: each pair of caption rows on one line, and no footer or hover line (the header above the
    # diagram says the equation, and no one hovers on a projector): the height goes to the nodes.
    inline_captions: bool = False
    footer: bool = True
    w2_span: float = W2_SPAN              # the W2 edges' horizontal run

    @property
    def height_beside_body(self) -> float:
        return self.height - self.body_height

    def fitted_body_height(self, panel_width: float, panel_height: float) -> float | None:
        """The body height that gives the scene the panel's shape, when this one is off by more than REFIT;
        else None."""
        wanted = float(np.clip(self.width * panel_height / panel_width - self.height_beside_body, *self.body_range))
        return wanted if abs(wanted - self.body_height) > REFIT * self.body_height else None

    def presenter_fit(self, panel_width: float, panel_height: float) -> tuple[float, float] | None:
        """Presenter mode: the body height and W2 span that fill the panel at PRESENTER_SCALE (the body takes the
        height, the edges the width), or at the scale the panel's width allows; None when this layout is within
        REFIT of them."""
        rest = self.width - self.w2_span             # everything but the edges' run (it hardly depends on the body)
        beside, (lowest, highest) = self.height_beside_body, self.body_range
        scale = PRESENTER_SCALE
        if panel_height / scale - beside > highest:  # a tall panel: the body at its tallest fills it, larger
            scale = panel_height / (highest + beside)
        span = panel_width / scale - rest
        if not W2_SPAN <= span <= MAX_W2_SPAN:       # the edges' run within reason; the scale follows the width
            span = float(np.clip(span, W2_SPAN, MAX_W2_SPAN))
            scale = panel_width / (rest + span)
        body = float(np.clip(panel_height / scale - beside, lowest, highest))
        # (closer than REFIT: presenter mode is set up once per lesson, and every pixel counts on a projector)
        if abs(body - self.body_height) <= REFIT / 4 * self.body_height and \
                abs(span - self.w2_span) <= REFIT / 4 * self.w2_span:
            return None
        return body, float(span)


def compute(hidden: int, sizes: TextSizes, body_height: float | None = None, presenter: bool = False,
            w2_span: float | None = None) -> Layout:
    """The diagram of `hidden` hidden units with room for texts of `sizes`; body_height and w2_span None: the
    defaults."""
    line, small = sizes.line, sizes.small_line
    # In presenter mode the text doubles and the drawing grows by less, so the text gains on it while the whole
    # still fits a 16:9 panel; the spans between the columns do not grow, so the nodes get the room.
    grow = 1.35 if presenter else 1.0
    span = 1.0 if presenter else grow
    node = 0.47 if presenter else 0.42      # a node's radius, as a share of its row
    w2_span = float(w2_span or W2_SPAN * span)
    # A wide, low panel gets a lower body, so that the scene fills its width and the text stays large; but the ten
    # output rows always keep room for a line of text each.
    body_range = (10 * (line + 4), 1.6 * BODY_HEIGHT * grow)
    body_height = float(np.clip(body_height or BODY_HEIGHT * grow, *body_range))
    tile = min(TILE * grow, 0.7 * body_height)
    # header rows (one in presenter mode), the gradient pills' header row, then the node rows from top to
    # top + body_height
    header_rows = 1 if presenter else 2
    margin = MARGIN / 2 if presenter else MARGIN      # the panel is the margin on a projector
    top = margin + header_rows * line + 6 + small + 4 + PAD
    body = (top - PAD, top + body_height + PAD)
    step = body_height / hidden
    hidden_y = tuple(top + (j + 0.5) * step for j in range(hidden))
    output_y = tuple(top + (i + 0.5) * body_height / 10 for i in range(10))
    # (the largest node is for a handful of hidden units; on a projector the nodes take their rows)
    radius = float(np.clip(node * step, 1.0, 30.0 if presenter else 17.0))
    output_radius = node * body_height / 10
    stride = math.ceil(hidden / MAX_THUMBNAILS)
    units = tuple(range(0, hidden, stride))
    # Two staggered columns when one row is too low for a readable picture (on a projector: for one as large
    # as a node, 40 px and more at 1366×768).
    columns = 1 if stride * step * 0.88 >= (50.0 if presenter else 28.0) else 2
    size = float(min((44.0 if columns == 1 else 40.0) * grow, columns * stride * step * (0.92 if presenter else 0.88)))
    tile_x, tile_y = MARGIN + max(0.0, (sizes.example_caption - tile) / 2), top + body_height / 2 - tile / 2
    bundle_x = tile_x + tile + 4
    thumbs_x = bundle_x + BUNDLE_WIDTH * span
    thumbnails_right = thumbs_x + columns * (size + 4)
    hidden_x = thumbnails_right + 6 + radius
    output_x = hidden_x + radius + w2_span + output_radius
    name_x = output_x + output_radius + 12
    probability_x = name_x + sizes.widest_name + 10
    probability_right = probability_x + sizes.probability
    pill_width = sizes.widest_number + 12
    gradient_x = probability_right + 12
    tag_x = gradient_x + pill_width + 10
    width = tag_x + sizes.widest_tag + MARGIN

    thumbnails = []
    for position, unit in enumerate(units):
        x = thumbs_x + (position % columns) * (size + 4)
        # centred on its unit, but never past the body's edges (the first and last of a staggered column)
        y = float(np.clip(hidden_y[unit] - size / 2, body[0], body[1] - size))
        thumbnails.append(QRectF(x, y, size, size))
    ends = {unit: rect.x() for unit, rect in zip(units, thumbnails)}
    bundle = tuple((QPointF(bundle_x, tile_y + tile * (0.1 + 0.8 * (j + 0.5) / hidden)),
                    QPointF(ends.get(j, hidden_x - radius), y)) for j, y in enumerate(hidden_y))

    regions = {
        "W1": QRectF(bundle_x - 2, body[0], thumbnails_right - bundle_x + 2, body[1] - body[0]),
        "hidden": QRectF(hidden_x - radius - PAD, body[0], 2 * (radius + PAD), body[1] - body[0]),
        "W2": QRectF(hidden_x + radius + PAD + 2, body[0], w2_span - 2 * PAD - 4, body[1] - body[0]),
        "output": QRectF(output_x - output_radius - PAD, body[0],
                         probability_right + PAD - (output_x - output_radius - PAD), body[1] - body[0]),
    }
    caption = max(tile, sizes.example_caption)
    emphasis = {**regions, "input": QRectF(tile_x + tile / 2 - caption / 2 - PAD, tile_y - PAD, caption + 2 * PAD,
                                           tile + 2 * PAD + 8 + line + small)}
    layers = {"input": (tile_x, tile_x + tile), "hidden": (hidden_x - radius, hidden_x + radius),
              "output": (output_x - output_radius, probability_right)}
    parameters = {"W1": (bundle_x, thumbnails_right), "W2": (hidden_x + radius, output_x - output_radius)}
    below = top + body_height + PAD
    if presenter:
        caption_rows = (CaptionRow(margin + line / 2, layers), CaptionRow(margin + line / 2, layers),
                        CaptionRow(below + 6 + line / 2, parameters), CaptionRow(below + 6 + line / 2, parameters))
        note_y = below + 10 + line + small / 2
        footer_y = hover_y = note_y + small / 2           # no footer: the scene ends under the captions
        height = (note_y + small / 2 if stride > 1 else below + 6 + line) + margin
    else:
        caption_rows = (CaptionRow(MARGIN + line / 2, layers), CaptionRow(MARGIN + line * 1.5 + 2, layers),
                        CaptionRow(below + 6 + line / 2, parameters), CaptionRow(below + 8 + line * 1.5, parameters))
        note_y = below + 10 + 2 * line + small / 2
        footer_y = below + 16 + 2 * line + small + line / 2
        hover_y = footer_y + line / 2 + 8 + small / 2
        height = hover_y + small / 2 + MARGIN
    return Layout(
        hidden=hidden, presenter=presenter, lines=1.7 if presenter else 1.0, width=width,
        height=height, body_height=body_height, body_range=body_range, top=top, body=body,
        hidden_x=hidden_x, hidden_y=hidden_y, radius=radius, output_x=output_x, output_y=output_y,
        output_radius=output_radius, tile=QRectF(tile_x, tile_y, tile, tile),
        label_at=QPointF(tile_x + tile / 2, tile_y + tile + 6 + line / 2),
        example_at=QPointF(tile_x + tile / 2, tile_y + tile + 8 + line + small / 2), bundle_x=bundle_x,
        thumbnail_units=units, thumbnails=tuple(thumbnails), thumbnails_right=thumbnails_right,
        thumbnail_stride=stride, bundle=bundle, name_x=name_x, probability_right=probability_right,
        pill_width=pill_width, pill_height=small + 4, pill_header_y=top - PAD - small / 2 - 2,
        hidden_pills=step >= small + 4 + 2, hidden_pill_x=hidden_x + radius + 4, gradient_x=gradient_x,
        tag_x=tag_x, regions=regions, emphasis=emphasis, caption_rows=caption_rows,
        thumbnail_note_at=QPointF(bundle_x + (thumbnails_right - bundle_x) / 2, note_y),
        footer_y=footer_y, hover_y=hover_y, inline_captions=presenter, footer=not presenter, w2_span=w2_span)
