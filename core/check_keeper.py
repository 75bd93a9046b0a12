"""Check my code, the keeper: starts the runner, waits for it, and writes down how it ended.

A tiny process between the checking process and the learner's code, so that the runner's parent is the keeper:
`os.kill(os.getppid(), signal.SIGKILL)` in the learner's code ends the keeper, which the checking process sees
(the keeper died without writing "ended") and reports, instead of ending the window or the `check` command.
Its stdin is a lifeline: the checking process holds the other end, and when that process ends for any reason
(even killed), the keeper ends its whole process group, so the learner's code never outlives the window.
Started by core.check_box as `python -I -S check_keeper.py STATUS_FILE RUNNER_COMMAND…`: standard library only.
"""
import json
import os
import signal
import subprocess
import sys
import threading


def main() -> None:
    status_path, command = sys.argv[1], sys.argv[2:]
    # Same folder, environment, output file and process group as the keeper; not the lifeline.
    runner = subprocess.Popen(command, stdin=subprocess.DEVNULL)
    threading.Thread(target=hold_lifeline, args=(runner,), daemon=True).start()
    returncode = runner.wait()
    with open(status_path, "a", encoding="ascii") as status:
        status.write(json.dumps({"event": "ended", "returncode": returncode}) + "\n")


def hold_lifeline(runner: subprocess.Popen) -> None:
    """Read stdin until the checking process closes it or ends; then end everything in the group."""
    while sys.stdin.buffer.read(1 << 12):
        pass
    if hasattr(os, "killpg"):
        os.killpg(os.getpgid(0), signal.SIGKILL)
    runner.kill()
    os._exit(1)


if __name__ == "__main__":
    main()
