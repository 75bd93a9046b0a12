"""Dead ReLU units: every hidden unit outputting 0 for every example, iteration after iteration.

A learning rate too large can push W1 and b1 so far negative that Z1 < 0 for every unit and example; ReLU then
passes nothing (A1 = 0), its derivative is 0 there, so no gradient reaches W1 or b1 and the units never come back.
The loss stays near log 10 and the accuracy near 10 %, with no NaN to say that anything broke. DeadUnits watches
A1 iteration by iteration and says so once the units have been dead for DEAD_ITERATIONS in a row.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DEAD_ITERATIONS = 3     # a few in a row: one iteration of zeros can be a bad batch, three are a dead network
# A1 with at most this share of non-zero outputs is silent: one unit left alive for one example of 5,000 (a seed
# away from none) changes nothing the class would see.
SILENT_SHARE = 1e-3


@dataclass
class DeadUnits:
    last_alive: int | None = None       # the last iteration whose A1 had a unit output something for an example
    dead_since: int | None = None       # the first iteration of the current run of all-zero A1
    told: bool = False                  # the dead run has been reported already

    def observe(self, iteration: int, A1: np.ndarray) -> bool:
        """A1 of `iteration` (computed from the parameters after that many updates). True once per dead run: when
        every unit has output 0 for every example (all but SILENT_SHARE of the outputs) for DEAD_ITERATIONS
        iterations in a row."""
        if np.count_nonzero(A1) > SILENT_SHARE * A1.size:
            self.last_alive, self.dead_since, self.told = iteration, None, False
            return False
        if self.dead_since is None:
            self.dead_since = iteration
        if not self.told and iteration - self.dead_since + 1 >= DEAD_ITERATIONS:
            self.told = True
            return True
        return False

    def forget(self) -> None:
        """The run went elsewhere (back in time, a reset, new data): watch afresh."""
        self.last_alive = self.dead_since = None
        self.told = False


def dead_message(alpha: float, since: int, alive: int) -> str:
    """What the banner says: a headline before the colon, then why and what to do."""
    return (f"The ReLU units died: since iteration {since} every hidden unit has output 0 for (almost) every "
            f"example. "
            f"A learning rate too large (α = {alpha:g}) pushed their weights and biases so far negative that Z1 < 0 "
            f"everywhere; ReLU passes nothing there and lets no gradient back, so they cannot recover. Lower α "
            f"in the configuration panel, then go back to iteration {alive}, the last where a unit was alive.")
