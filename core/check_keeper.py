"""Check my code, the keeper: starts the runner, waits for it, and writes down how it ended.

A tiny process between the checking process and the learner's code, so that the runner's parent is the keeper:
`os.kill(os.getppid(), signal.SIGKILL)` in the learner's code ends the keeper, which the checking process sees
(the keeper died without writing "ended") and reports, instead of ending the window or the `check` command.
Its stdin is a lifeline: the checking process holds the other end, and when that process ends for any reason
(even killed), the keeper ends its whole process group, so the learner's code never outlives the window.
On Windows, which has no process groups to kill, the keeper first puts itself in a job object that ends every
process in it when its last handle closes — the keeper's, as the keeper ends, killed included — and the runner
and whatever the learner's code starts are in it from their start.
Started by core.check_box as `python -I -S check_keeper.py STATUS_FILE RUNNER_COMMAND…`: standard library only.
"""
import ctypes
import json
import os
import signal
import subprocess
import sys
import threading

JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE = 0x2000
JOB_OBJECT_EXTENDED_LIMIT_INFORMATION = 9       # the information class SetInformationJobObject is given


class BasicLimits(ctypes.Structure):
    """JOBOBJECT_BASIC_LIMIT_INFORMATION, with Windows' sizes (DWORD 32 bits, SIZE_T and ULONG_PTR a pointer's)."""
    _fields_ = [("PerProcessUserTimeLimit", ctypes.c_int64), ("PerJobUserTimeLimit", ctypes.c_int64),
                ("LimitFlags", ctypes.c_uint32), ("MinimumWorkingSetSize", ctypes.c_size_t),
                ("MaximumWorkingSetSize", ctypes.c_size_t), ("ActiveProcessLimit", ctypes.c_uint32),
                ("Affinity", ctypes.c_size_t), ("PriorityClass", ctypes.c_uint32), ("SchedulingClass", ctypes.c_uint32)]


class ExtendedLimits(ctypes.Structure):
    """JOBOBJECT_EXTENDED_LIMIT_INFORMATION (its IO_COUNTERS as six 64-bit counts)."""
    _fields_ = [("BasicLimitInformation", BasicLimits), ("IoInfo", ctypes.c_uint64 * 6),
                ("ProcessMemoryLimit", ctypes.c_size_t), ("JobMemoryLimit", ctypes.c_size_t),
                ("PeakProcessMemoryUsed", ctypes.c_size_t), ("PeakJobMemoryUsed", ctypes.c_size_t)]


def contain(kernel32) -> bool:
    """Put this process in a new job object that kills all its processes when the job's last handle closes (the
    one this process holds, closed as it ends). kernel32: ctypes.WinDLL("kernel32"). False if Windows refused."""
    kernel32.CreateJobObjectW.restype = ctypes.c_void_p
    kernel32.GetCurrentProcess.restype = ctypes.c_void_p
    kernel32.SetInformationJobObject.argtypes = (ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_uint32)
    kernel32.AssignProcessToJobObject.argtypes = (ctypes.c_void_p, ctypes.c_void_p)
    job = kernel32.CreateJobObjectW(None, None)
    if not job:
        return False
    limits = ExtendedLimits()
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE
    if not kernel32.SetInformationJobObject(job, JOB_OBJECT_EXTENDED_LIMIT_INFORMATION, ctypes.byref(limits),
                                            ctypes.sizeof(limits)):
        return False
    return bool(kernel32.AssignProcessToJobObject(job, kernel32.GetCurrentProcess()))


def main() -> None:
    status_path, command = sys.argv[1], sys.argv[2:]
    if os.name == "nt":
        contain(ctypes.WinDLL("kernel32", use_last_error=True))     # if refused, the check still ends the tree
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
