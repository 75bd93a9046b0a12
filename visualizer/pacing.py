"""The worker's pacing while playing: how many iterations a chunk trains, when a frame's snapshot is due, whether it
waits for the next iteration's RELEASE_PHASE, and how long an iteration takes. Plain Python on an injected clock
(no Qt), so a test drives it on a clock of its own.

The worker trains in chunks of at most CHUNK_SECONDS, so that a pause or any other request is handled between two
chunks. At a speed limit (iterations per second) a chunk trains only the iterations due since playing started. A
frame is due every SNAPSHOT_INTERVAL on average: the next one a frame after this one's time, or after now if this
one came a frame or more late (a slow frame, a step, a pause).
"""
from __future__ import annotations

import time
from typing import Callable

SNAPSHOT_INTERVAL = 0.028       # seconds between snapshots while playing, on average: each is a frame (≈ 36 a second)
CHUNK_SECONDS = 0.010           # longest stretch of training before the worker looks at its requests again
EVALUATION_INTERVAL = 0.5       # seconds between dev-set evaluations while playing (every snapshot when paused)
UNLIMITED = 1 << 30             # iterations due at full speed: as many as the chunk's time allows


class Pacing:
    def __init__(self, clock: Callable[[], float] = time.perf_counter, frame_interval: float = SNAPSHOT_INTERVAL,
                 chunk_seconds: float = CHUNK_SECONDS, evaluation_interval: float = EVALUATION_INTERVAL) -> None:
        self.clock = clock
        self.frame_interval, self.chunk_seconds = frame_interval, chunk_seconds
        self.evaluation_interval = evaluation_interval
        self.speed = 0                              # iterations per second; 0: as fast as possible
        self.ms_per_iteration: float | None = None  # a running average (the status bar shows it)
        self._next_frame = 0.0
        self._started = 0.0                         # when playing started, and the iterations played since
        self._played = 0

    # ------------------------------------------------------------ iterations
    def start(self, speed: int) -> None:
        """Playing starts (or its speed changes): count the iterations due from now."""
        self.speed = max(0, speed)
        self._started, self._played = self.clock(), 0

    def timer_ms(self) -> int:
        """How often the worker's timer starts a chunk: at once at full speed, else twice per iteration due."""
        return 0 if self.speed == 0 else max(1, int(1000 / self.speed / 2))

    def due(self) -> int:
        """Iterations due now: at a speed limit, those its schedule has reached and not yet played."""
        if self.speed == 0:
            return UNLIMITED
        return int((self.clock() - self._started) * self.speed) + 1 - self._played

    def timed(self, step: Callable[[], object]) -> None:
        """Run one iteration and fold its time into ms_per_iteration."""
        start = self.clock()
        step()
        milliseconds = (self.clock() - start) * 1000
        previous = self.ms_per_iteration
        self.ms_per_iteration = milliseconds if previous is None else 0.9 * previous + 0.1 * milliseconds

    def chunk(self, step: Callable[[], object], stop: Callable[[], bool], after: Callable[[], object]) -> None:
        """Train one chunk: iterations while they are due, the chunk's time lasts and stop() is False; after()
        follows each one (it sends a frame as soon as one is due, not at the end of the chunk)."""
        end = self.clock() + self.chunk_seconds
        due = self.due()
        while due > 0 and self.clock() < end and not stop():
            self.timed(step)
            self._played += 1
            due -= 1
            after()

    # ------------------------------------------------------------ frames
    def frame_made(self) -> None:
        """A snapshot was made now: the next frame is due a frame after this one's time, or after now if late."""
        now = self.clock()
        late = now - self._next_frame >= self.frame_interval
        self._next_frame = (now if late else self._next_frame) + self.frame_interval

    def frame_due(self) -> bool:
        return self.clock() >= self._next_frame

    def holds_frame(self) -> bool:
        """At full speed, when an iteration takes less than a frame, a frame's snapshot waits for the next
        iteration's RELEASE_PHASE (bridge.py says why); otherwise it is sent at once."""
        ms = self.ms_per_iteration
        return self.speed == 0 and ms is not None and ms < 1000 * self.frame_interval

    # ------------------------------------------------------------ evaluation
    def evaluation_fresh(self, evaluated_at: float) -> bool:
        """While playing, a dev-set evaluation this recent stands in for a new one."""
        return self.clock() - evaluated_at < self.evaluation_interval
