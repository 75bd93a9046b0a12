"""Check my code, the keeper: starts the runner, waits for it, and writes down how it ended.

A tiny process between the checking process and the learner's code, so that the runner's parent is the keeper:
`os.kill(os.getppid(), signal.SIGKILL)` in the learner's code ends the keeper, which the checking process sees
(the keeper died without writing "ended") and reports, instead of ending the window or the `check` command.
Started by core.check_box as `python -I -S check_keeper.py STATUS_FILE RUNNER_COMMAND…`: standard library only.
"""
import json
import subprocess
import sys


def main() -> None:
    status_path, command = sys.argv[1], sys.argv[2:]
    runner = subprocess.Popen(command)      # same folder, environment, output file and process group as the keeper
    returncode = runner.wait()
    with open(status_path, "a", encoding="ascii") as status:
        status.write(json.dumps({"event": "ended", "returncode": returncode}) + "\n")


if __name__ == "__main__":
    main()
