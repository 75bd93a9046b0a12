"""The configuration panel: the settings of the run, a learning rate that applies at once, and a restart.

A learning-rate change applies from the next iteration. Any other change (hidden width, activation, init,
optimizer, batch size, seed, dtype) restarts training, so it first asks, inline and without a dialog.
"""
from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtGui import QValidator
from PyQt6.QtWidgets import (QAbstractSpinBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel,
                             QPushButton, QSpinBox, QVBoxLayout, QWidget)

from core.config import DTYPES, ConfigError, TrainingConfig
from core.network import ACTIVATIONS, INITS
from core.optimizers import OPTIMIZERS

from .. import theme
from .confirm_bar import ConfirmBar, described

MAX_HIDDEN = 128        # the views are designed for H from 1 to 128

LABELS = {"hidden": "hidden width", "activation": "activation", "init": "initialisation", "optimizer": "optimizer",
          "batch_size": "batch size", "seed": "seed", "dtype": "precision"}


class LearningRateSpin(QDoubleSpinBox):
    """α from 1e-6 to 1e30, written as people write it (0.1, 2.5e-05, 1e+20) rather than with fixed decimals."""

    def __init__(self) -> None:
        super().__init__()
        self.setDecimals(12)
        self.setRange(1e-6, 1e30)
        self.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, position: int):
        try:
            value = float(text)
        except ValueError:
            # A half-typed number such as "1e" or "0." may still become one.
            return QValidator.State.Intermediate, text, position
        within = self.minimum() <= value <= self.maximum()
        return (QValidator.State.Acceptable if within else QValidator.State.Intermediate), text, position


def _described(widget: QWidget, name: str, tip: str) -> QWidget:
    """A control whose tooltip "Name: what it does" also gives the name a screen reader speaks."""
    return described(widget, name, tip.split(":")[0], tip)


class ConfigPanel(QWidget):
    """Shows the running configuration; emits what the user asks for."""

    learningRateChanged = pyqtSignal(float)     # apply from the next iteration
    resetRequested = pyqtSignal(object)         # TrainingConfig: restart from iteration 0 with it
    devSizeRequested = pyqtSignal(int)          # split the data again with this dev set (before resetRequested)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        described(self, "configPanel", "Configuration", "The settings of this training run")
        self.current = TrainingConfig()
        self._proposed: TrainingConfig | None = None

        self.hidden = _described(QSpinBox(), "hiddenSpin", "Hidden width H: units in the hidden layer")
        self.hidden.setRange(1, MAX_HIDDEN)
        self.activation = self._combo("activationCombo", "Activation g in A1 = g(Z1)", ACTIVATIONS)
        self.init = self._combo("initCombo", "Initialisation: how W1 and W2 start", INITS)
        self.optimizer = self._combo("optimizerCombo", "Optimizer: the update rule", OPTIMIZERS)
        self.learning_rate = _described(LearningRateSpin(), "learningRateSpin",
                                        "Learning rate α: applies from the next iteration")
        self.batch_size = _described(QSpinBox(), "batchSizeSpin", "Batch size: examples per iteration (0 = all)")
        self.batch_size.setRange(0, 1_000_000)
        self.batch_size.setSpecialValueText("full batch")
        self.seed = _described(QSpinBox(), "seedSpin", "Seed: of the initial weights and the batch order")
        self.seed.setRange(0, 2**31 - 1)
        self.dtype = self._combo("dtypeCombo", "Precision of the arithmetic", DTYPES)
        self.dev_size = _described(QSpinBox(), "devSizeSpin",
                                   "Dev set: examples held out of training to measure the network on (a small "
                                   "file gets a smaller one); changing it restarts from iteration 0")
        self.dev_size.setRange(0, 1_000_000)
        self.dev_size.setSingleStep(100)
        self.current_dev_size = self.dev_size.value()

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for label, widget in (("Hidden width H", self.hidden), ("Activation g", self.activation),
                              ("Initialisation", self.init), ("Optimizer", self.optimizer),
                              ("Learning rate α", self.learning_rate), ("Batch size", self.batch_size),
                              ("Seed", self.seed), ("Precision", self.dtype), ("Dev set", self.dev_size)):
            form.addRow(label, widget)

        self.apply_button = _described(QPushButton("Apply"), "applyButton",
                                       "Apply: a new learning rate at once; other changes ask first")
        self.reset_button = _described(QPushButton("Reset"), "resetButton",
                                       "Reset: restart from iteration 0 with these settings (Ctrl+R)")
        self.apply_button.clicked.connect(self.apply)
        self.reset_button.clicked.connect(self.request_reset)
        buttons = QHBoxLayout()
        buttons.addWidget(self.apply_button)
        buttons.addWidget(self.reset_button)

        self.confirm_bar = ConfirmBar("confirm", "Confirm restart",
                                      ("Restart from iteration 0 with the change",) * 2,
                                      ("Keep training as it is",) * 2, stacked=True)
        self.confirm_bar.apply.clicked.connect(self._confirmed)
        self.confirm_bar.cancel.clicked.connect(self.cancel)
        for button in (self.apply_button, self.reset_button):
            # Space is the window's play key even here, so a button reached with Tab is pressed with Return.
            button.setAutoDefault(True)

        self.message = QLabel()
        self.message.setObjectName("configMessage")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {theme.VERMILLION};")
        self.message.hide()

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.confirm_bar)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.learning_rate.valueChanged.connect(self._learning_rate_edited)
        self._show(self.current)

    def _combo(self, name: str, tip: str, items) -> QComboBox:
        combo = _described(QComboBox(), name, tip)
        combo.addItems(list(items))
        return combo

    # ------------------------------------------------------------ showing
    def set_config(self, config: TrainingConfig) -> None:
        """Show the running configuration; fields the user is editing and that did not change stay as they are."""
        previous, self.current = self.current, config
        self._show(config, previous)

    def _show(self, config: TrainingConfig, previous: TrainingConfig | None = None) -> None:
        """Put config in the fields: all of them, or only those where it differs from previous."""
        first = previous is None
        for field, setter in (("hidden", self.hidden.setValue), ("activation", self.activation.setCurrentText),
                              ("init", self.init.setCurrentText), ("optimizer", self.optimizer.setCurrentText),
                              ("batch_size", self.batch_size.setValue), ("seed", self.seed.setValue),
                              ("dtype", self.dtype.setCurrentText)):
            if first or getattr(previous, field) != getattr(config, field):
                setter(getattr(config, field))
        if first or previous.alpha != config.alpha:
            self.learning_rate.blockSignals(True)
            self.learning_rate.setValue(config.alpha)
            self.learning_rate.blockSignals(False)

    def set_dev_size(self, dev_size: int) -> None:
        """Show the running dev set's size (the field keeps an edit in progress while it does not change)."""
        if dev_size != self.current_dev_size:
            self.current_dev_size = dev_size
            self.dev_size.setValue(dev_size)

    def set_presenter_mode(self, on: bool) -> None:
        self.setFont(theme.font(theme.PRESENTER_POINT_SIZE if on else theme.BASE_POINT_SIZE))

    # ------------------------------------------------------------ reading
    def config(self) -> TrainingConfig:
        """The configuration the panel shows (may differ from the running one until applied)."""
        return TrainingConfig(hidden=self.hidden.value(), activation=self.activation.currentText(),
                              init=self.init.currentText(), optimizer=self.optimizer.currentText(),
                              alpha=float(self.learning_rate.value()), batch_size=self.batch_size.value(),
                              seed=self.seed.value(), dtype=self.dtype.currentText())

    def changed_fields(self, config: TrainingConfig) -> list[str]:
        """The architecture settings (everything but α) in which config differs from the running one."""
        return [field for field in LABELS if getattr(config, field) != getattr(self.current, field)]

    # ------------------------------------------------------------ actions
    def _learning_rate_edited(self, value: float) -> None:
        if value != self.current.alpha and value > 0:
            self.learningRateChanged.emit(float(value))

    def apply(self) -> None:
        """A new α applies at once; an architecture change shows the confirmation bar."""
        try:
            config = self.config()
        except ConfigError as error:
            self._show_message(str(error))
            return
        self.message.hide()
        if config.alpha != self.current.alpha:
            self.learningRateChanged.emit(config.alpha)
        changed = [LABELS[field] for field in self.changed_fields(config)]
        if self.dev_size.value() != self.current_dev_size:
            changed.append("the dev set")
        if not changed:
            self.confirm_bar.hide()
            return
        self._proposed = config
        names = ", ".join(changed)
        self.confirm_bar.ask(f"Changing {names} restarts training from iteration 0 — Apply / Cancel")

    def _confirmed(self) -> None:
        if self._proposed is not None:
            self.confirm_bar.hide()
            self._request_dev_size()
            self.resetRequested.emit(self._proposed)
            self._proposed = None

    def _request_dev_size(self) -> None:
        if self.dev_size.value() != self.current_dev_size:
            self.devSizeRequested.emit(self.dev_size.value())

    def cancel(self) -> None:
        """Put the running configuration back in the fields."""
        self.confirm_bar.hide()
        self._proposed = None
        self._show(self.current)
        self.dev_size.setValue(self.current_dev_size)

    def request_reset(self) -> None:
        """Restart from iteration 0 with the configuration shown, at once (what Ctrl+R does)."""
        try:
            config = self.config()
        except ConfigError as error:
            self._show_message(str(error))
            return
        self.confirm_bar.hide()
        self._proposed = None
        self.message.hide()
        self._request_dev_size()
        self.resetRequested.emit(config)

    def _show_message(self, text: str) -> None:
        self.message.setText(text)
        self.message.show()
