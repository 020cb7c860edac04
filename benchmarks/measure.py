"""Run one command and print its wall time (s) and peak memory (MB) as JSON on stderr's last line.

    python benchmarks/measure.py COMMAND [ARGS...]

The command's stdout passes through; the measurement is the last line on stderr.
"""

import json
import resource
import subprocess
import sys
import time

start = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=sys.stdout, stderr=subprocess.PIPE, text=True)
seconds = time.perf_counter() - start
peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
sys.stderr.write(done.stderr)
sys.stderr.write("\n" + json.dumps({"seconds": seconds, "peak_mb": peak_mb,
                                    "returncode": done.returncode}) + "\n")
sys.exit(done.returncode)
