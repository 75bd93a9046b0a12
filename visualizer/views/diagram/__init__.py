"""The live network diagram: one example flowing through 784 → H → 10, the phase being computed lit up.

Left to right: the example's 28×28 image (X), the W1 bundle ending in each hidden unit's incoming weights drawn
as a 28×28 thumbnail ("what this unit looks for"), the hidden units filled by A1, the W2 edges (colour = sign,
width = |w|), the ten outputs filled by the softmax probability with the label and the prediction marked.

layout.py places everything (a pure function of sizes); each part (captions.py: the input tile and the captions,
weights.py: the thumbnails and the edges, hidden.py, outputs.py, footer.py, highlight.py: the lit regions and
a lesson's marks) owns its items and what they show now, so a snapshot touches only the items whose look
changes; animation.py moves decorative overlays only, so the state is final as soon as a snapshot is shown.
widget.py builds the parts once per hidden width, class names and mode.
"""
from visualizer.phases import DIAGRAM_PARTS as EMPHASIS_PARTS

from .widget import NetworkDiagram

__all__ = ["EMPHASIS_PARTS", "NetworkDiagram"]
