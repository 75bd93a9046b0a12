"""Check my code, the contract: which of the learner's functions are checked, how they are called, what they return.

One table (CONTRACTS) read by the runner in the learner's process (names to look for, how to bind arguments) and by
the checking process (the phases each result is compared as, the signature shown when nothing fits). The values
the names stand for (W1, X, Y, …) are the reference's arrays: see core.check_compare.Reference.arguments.
"""
from __future__ import annotations

from dataclasses import dataclass

EXAMPLES = 500              # columns of X: mnist-sample digits the functions run on
HIDDEN = 10                 # the notebook's hidden width
ALPHA = 0.1                 # the notebook's learning rate
TRAIN_ROWS_KAGGLE = 42_000  # rows of Kaggle's digit-recognizer train.csv, which a global m counts there
COUNT_NAMES = ("m", "m_train", "M", "num_examples", "n_examples", "n_samples")  # globals that mean "examples"


@dataclass(frozen=True)
class Contract:
    """One function of the notebook: its name, the names learners also give it, its argument lists, its results."""
    name: str                                   # the notebook's name, also the report's
    aliases: tuple[str, ...]                    # other names learners use, tried in this order after `name`
    forms: tuple[tuple[str, ...], ...]          # argument lists accepted (names of the reference's arrays)
    returns: tuple[str, ...]                    # the phases its results are compared as, in order
    helper: bool = False                        # a helper: checked where it exists, not missing when it does not
    by_position: bool = False                   # arguments given by position whatever their names (Z, x, …)
    gives: tuple[str, ...] = ()                 # the values it returns, when not one per phase (init_params)
    note: str = ""                              # said after its signature in the report

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    @property
    def results(self) -> tuple[str, ...]:
        """The names of the values it returns, in order."""
        return self.gives or tuple(phase.removeprefix("new ") for phase in self.returns)

    def signature(self, form: int = 0) -> str:
        """`backward_prop(Z1, A1, Z2, A2, W1, W2, X, Y) -> dW1, db1, dW2, db2`, as the notebook writes it."""
        arguments = ", ".join(PARAMETER_TEXT.get(name, name) for name in self.forms[form])
        return f"{self.name}({arguments}) -> {', '.join(self.results)}"


CONTRACTS: tuple[Contract, ...] = (
    Contract("init_params", ("initialize_parameters", "init_parameters", "initialise_parameters",
                             "initialize_params", "initialise_params", "init_weights", "initialize"),
             ((),), ("init_params",), gives=("W1", "b1", "W2", "b2")),
    Contract("forward_prop", ("forward_propagation", "forwardprop", "forward_pass", "forward", "feed_forward",
                              "feedforward", "forward_propagate"),
             (("W1", "b1", "W2", "b2", "X"),), ("Z1", "A1", "Z2", "A2")),
    # The video's back_prop(Z1, A1, Z2, A2, W2, X, Y) leaves W1 out: it is not needed for the gradients.
    Contract("backward_prop", ("back_prop", "backprop", "backward_propagation", "back_propagation",
                               "backward_pass", "backward", "backpropagation", "backward_propagate"),
             (("Z1", "A1", "Z2", "A2", "W1", "W2", "X", "Y"), ("Z1", "A1", "Z2", "A2", "W2", "X", "Y")),
             ("dW1", "db1", "dW2", "db2"), note="(or without W1, as in the video)"),
    Contract("update_params", ("update_parameters", "update_weights", "update", "gradient_step"),
             (("W1", "b1", "W2", "b2", "dW1", "db1", "dW2", "db2", "alpha"),),
             ("new W1", "new b1", "new W2", "new b2")),
    Contract("ReLU", ("relu", "Relu", "ReLu"), (("Z1",),), ("ReLU",), helper=True, by_position=True),
    Contract("ReLU_deriv", ("deriv_ReLU", "ReLU_derivative", "relu_deriv", "relu_derivative", "deriv_relu",
                            "dReLU", "drelu", "relu_prime", "ReLU_prime", "derivative_ReLU", "relu_backward"),
             (("Z1",),), ("ReLU_deriv",), helper=True, by_position=True),
    Contract("softmax", ("Softmax", "soft_max"), (("Z2",),), ("softmax",), helper=True, by_position=True),
    Contract("one_hot", ("onehot", "one_hot_encode", "one_hot_encoding"), (("labels",),),
             ("one_hot",), helper=True, by_position=True),
    Contract("get_predictions", ("get_prediction", "predictions"), (("A2",),), ("get_predictions",),
             helper=True, by_position=True),
    Contract("get_accuracy", ("get_acc", "accuracy", "compute_accuracy"), (("predictions", "labels"),),
             ("get_accuracy",), helper=True, by_position=True),
)
CONTRACT = {contract.name: contract for contract in CONTRACTS}
FUNCTIONS = tuple(contract for contract in CONTRACTS if not contract.helper)
HELPERS = tuple(contract for contract in CONTRACTS if contract.helper)

# A parameter's name (lower case) -> the reference's array it asks for.
PARAMETER_ALIASES = {
    **{name.lower(): name for name in ("W1", "b1", "W2", "b2", "X", "Y", "Z1", "A1", "Z2", "A2",
                                       "dW1", "db1", "dW2", "db2", "alpha")},
    "lr": "alpha", "learning_rate": "alpha", "eta": "alpha", "labels": "Y", "x_train": "X", "y_train": "Y",
}
PARAMETER_TEXT = {"labels": "Y", "predictions": "predictions"}

# What the reference computes, in the notebook's own code (the learner's line is shown beside it).
REFERENCE_LINES = {
    "Z1": "Z1 = W1.dot(X) + b1",
    "A1": "A1 = ReLU(Z1)",
    "Z2": "Z2 = W2.dot(A1) + b2",
    "A2": "A2 = softmax(Z2)",
    "dZ2": "dZ2 = A2 - one_hot_Y",
    "dW2": "dW2 = 1 / m * dZ2.dot(A1.T)",
    "db2": "db2 = 1 / m * np.sum(dZ2, axis=1, keepdims=True)",
    "dZ1": "dZ1 = W2.T.dot(dZ2) * ReLU_deriv(Z1)",
    "dW1": "dW1 = 1 / m * dZ1.dot(X.T)",
    "db1": "db1 = 1 / m * np.sum(dZ1, axis=1, keepdims=True)",
    "new W1": "W1 = W1 - alpha * dW1",
    "new b1": "b1 = b1 - alpha * db1",
    "new W2": "W2 = W2 - alpha * dW2",
    "new b2": "b2 = b2 - alpha * db2",
    "ReLU": "return np.maximum(Z, 0)",
    "ReLU_deriv": "return Z > 0",
    "softmax": "return np.exp(Z) / np.sum(np.exp(Z), axis=0, keepdims=True)",
    "one_hot": "one_hot_Y = np.zeros((10, Y.size)); one_hot_Y[Y, np.arange(Y.size)] = 1",
    "get_predictions": "return np.argmax(A2, 0)",
    "get_accuracy": "return np.sum(predictions == Y) / Y.size",
}
# The variable a phase's line assigns, in the learner's function (found by name, any case).
ASSIGNED_NAME = {**{phase: phase for phase in ("Z1", "A1", "Z2", "A2", "dZ2", "dW2", "db2", "dZ1", "dW1", "db1")},
                 **{f"new {name}": name for name in ("W1", "b1", "W2", "b2")},
                 **{name: "return" for name in ("ReLU", "ReLU_deriv", "softmax", "one_hot", "get_predictions",
                                                "get_accuracy")}}


def bind(parameters: list[tuple[str, bool]], contract: Contract, accepts_more: bool = False
         ) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]] | str:
    """The reference's arrays to pass: (positional names, (keyword, name) pairs), or why the function does not fit.

    `parameters` are (name, required) of its positional parameters in order (self excluded); `accepts_more` when
    it takes *args. Names decide (any order, the video's 7 arguments, lr for alpha); otherwise a count that
    matches one of the forms passes them in the notebook's order.
    """
    required = [name for name, is_required in parameters if is_required]
    if not contract.by_position:
        wanted = [PARAMETER_ALIASES.get(name.lower()) for name in required]
        if required and all(wanted) and len(set(wanted)) == len(wanted):
            optional = tuple((name, PARAMETER_ALIASES[name.lower()]) for name, is_required in parameters
                             if not is_required and PARAMETER_ALIASES.get(name.lower()) not in (None, *wanted))
            return tuple(wanted), optional          # type: ignore[arg-type]
    for form in contract.forms:
        if len(required) == len(form) or (accepts_more and len(required) <= len(form)
                                          and len(parameters) <= len(form)):
            return form, ()
        if len(required) < len(form) <= len(parameters):     # the rest have defaults: give ours
            return form, ()
    names = ", ".join(name if is_required else f"{name}=…" for name, is_required in parameters)
    return f"takes ({names})"
