"""Run one command and print its wall time (s) and peak memory (MB) as JSON on stderr's last line.

    python benchmarks/measure.py [--timeout S] [--max-gb G] COMMAND [ARGS...]

The command's stdout passes through; the measurement is the last line on stderr. With
``--timeout`` the command is stopped after S seconds (``"stopped": "timeout"``); with
``--max-gb`` its address space is capped at G GB, so a command that would need more fails
with an out-of-memory error instead of swapping the machine.
"""

import json
import resource
import subprocess
import sys
import time

arguments = sys.argv[1:]
timeout = max_bytes = None
while arguments and arguments[0] in ("--timeout", "--max-gb"):
    flag, value, arguments = arguments[0], float(arguments[1]), arguments[2:]
    if flag == "--timeout":
        timeout = value
    else:
        max_bytes = int(value * 2**30)


def cap_memory():
    resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))


start = time.perf_counter()
stopped = None
try:
    done = subprocess.run(arguments, stdout=sys.stdout, stderr=subprocess.PIPE, text=True,
                          timeout=timeout, preexec_fn=cap_memory if max_bytes else None)
    returncode, stderr = done.returncode, done.stderr
except subprocess.TimeoutExpired as expired:
    returncode, stopped = None, "timeout"
    stderr = expired.stderr.decode() if isinstance(expired.stderr, bytes) else expired.stderr or ""
seconds = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
sys.stderr.write(stderr)
sys.stderr.write("\n" + json.dumps({"seconds": seconds, "peak_mb": peak_mb,
                                    "returncode": returncode, "stopped": stopped}) + "\n")
sys.exit(returncode if returncode is not None else 124)
