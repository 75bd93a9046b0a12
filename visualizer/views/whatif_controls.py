"""The what-if's controls for one hidden unit: switch it off, scale its incoming weights, shift its bias, undo,
and switch off the key unit. They show an Edit and say when the user changes it."""
from __future__ import annotations

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QGridLayout, QGroupBox, QLabel, QPushButton, QSlider, \
    QWidget

from core.whatif import BIAS_SHIFT_RANGE, SCALE_RANGE, Edit

from visualizer import theme

from .confirm_bar import described

SLIDER_STEPS = 100                  # slider positions per unit of scale or bias shift


class WhatIfControls(QGroupBox):
    """changed(Edit) when the user moves a control; show_edit() sets them without a signal."""

    changed = pyqtSignal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("What if …", parent)
        described(self, "whatIfControls", "What-if controls",
                  "Try a change on a copy of the network: the training itself is untouched")
        self.off_button = QPushButton("Switch off", self)
        self.off_button.setObjectName("switchOff")
        self.off_button.setCheckable(True)
        self.off_button.setAccessibleName("Switch the unit off")
        self.off_button.setToolTip("Remove the unit: as if its A1 were 0 for every example")
        self.off_button.toggled.connect(self._edited)
        self.undo_button = QPushButton("Undo what-if", self)
        described(self.undo_button, "undoWhatIf", "Undo the what-if",
                  "Back to the network as trained (every unit)")
        self.most_button = QPushButton("Switch off the key unit", self)
        described(self.most_button, "mostImportantUnit", "Switch off the unit that matters most",
                  "The key unit is the one the network misses most: each hidden unit is "
                  "switched off in turn, and the one whose loss costs the most accuracy is "
                  "selected and switched off")

        self.scale_label = QLabel("Weights ×", self)
        self.scale_slider, self.scale_box = self._slider_and_box(
            "weightScale", "Scale of the incoming weights", "Multiply the unit's incoming weights W1[j] "
            "(1 = as trained, 0 = blind to every pixel)", SCALE_RANGE, 0.05, 1.0)
        self.bias_label = QLabel("Bias +", self)
        self.bias_slider, self.bias_box = self._slider_and_box(
            "biasShift", "Shift of the bias", "Add this to the unit's bias b1[j] (positive: it fires more "
            "easily, negative: it needs more ink to fire)", BIAS_SHIFT_RANGE, 0.1, 0.0)
        self.scale_label.setBuddy(self.scale_box)
        self.bias_label.setBuddy(self.bias_box)
        controls = QGridLayout(self)
        controls.setContentsMargins(8, 4, 8, 6)
        controls.setHorizontalSpacing(6)
        controls.setVerticalSpacing(4)
        controls.addWidget(self.off_button, 0, 0, 1, 2)
        controls.addWidget(self.undo_button, 0, 2)
        controls.addWidget(self.scale_label, 1, 0)
        controls.addWidget(self.scale_slider, 1, 1)
        controls.addWidget(self.scale_box, 1, 2)
        controls.addWidget(self.bias_label, 2, 0)
        controls.addWidget(self.bias_slider, 2, 1)
        controls.addWidget(self.bias_box, 2, 2)
        controls.addWidget(self.most_button, 3, 0, 1, 3)
        controls.setColumnStretch(1, 1)
        self._showing = False

    def _slider_and_box(self, name: str, accessible: str, tip: str, limits: tuple[float, float], step: float,
                        value: float) -> tuple[QSlider, QDoubleSpinBox]:
        slider = QSlider(Qt.Orientation.Horizontal, self)
        slider.setObjectName(f"{name}Slider")
        slider.setRange(int(round(limits[0] * SLIDER_STEPS)), int(round(limits[1] * SLIDER_STEPS)))
        slider.setValue(int(round(value * SLIDER_STEPS)))
        slider.setPageStep(SLIDER_STEPS // 2)
        slider.setAccessibleName(accessible)
        slider.setToolTip(tip)
        box = QDoubleSpinBox(self)
        box.setObjectName(name)
        box.setRange(*limits)
        box.setDecimals(2)
        box.setSingleStep(step)
        box.setValue(value)
        box.setKeyboardTracking(False)
        box.setAccessibleName(accessible)
        box.setToolTip(tip)
        box.setStepType(QAbstractSpinBox.StepType.DefaultStepType)
        slider.valueChanged.connect(lambda position: box.setValue(position / SLIDER_STEPS))
        box.valueChanged.connect(lambda number: self._follow(slider, number))
        box.valueChanged.connect(self._edited)
        return slider, box

    @staticmethod
    def _follow(slider: QSlider, number: float) -> None:
        slider.blockSignals(True)
        slider.setValue(int(round(number * SLIDER_STEPS)))
        slider.blockSignals(False)

    def _edited(self, *_) -> None:
        if not self._showing:
            self.changed.emit(Edit(self.off_button.isChecked(), float(self.scale_box.value()),
                                   float(self.bias_box.value())))

    def show_edit(self, edit: Edit, any_edits: bool) -> None:
        """The unit's edit (Edit(): as trained); any_edits: some unit has one (Undo is possible)."""
        self._showing = True
        for widget in (self.off_button, self.scale_box, self.bias_box):
            widget.blockSignals(True)
        self.off_button.setChecked(edit.off)
        self.scale_box.setValue(edit.scale)
        self.bias_box.setValue(edit.bias_shift)
        self._follow(self.scale_slider, edit.scale)
        self._follow(self.bias_slider, edit.bias_shift)
        for widget in (self.off_button, self.scale_box, self.bias_box):
            widget.blockSignals(False)
        self._showing = False
        for widget in (self.scale_slider, self.scale_box, self.bias_slider, self.bias_box):
            widget.setEnabled(not edit.off)     # a unit switched off has no weights to scale
        self.off_button.setText("Switched off" if edit.off else "Switch off")
        self.undo_button.setEnabled(any_edits)

    def set_point_size(self, size: float) -> None:
        for widget in (self, self.off_button, self.undo_button, self.most_button, self.scale_label, self.scale_box,
                       self.bias_label, self.bias_box):
            widget.setFont(theme.font(size))
        for box in (self.scale_box, self.bias_box):
            box.setMinimumWidth(int(size * 5.5))
