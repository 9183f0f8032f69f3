#!/usr/bin/env python3
"""Runs ../shared/bench/torch_charlm.py unchanged except that its clock is the process CPU time.

On a machine shared with other busy processes, wall-clock time includes the time this process waited
for a core; CPU time does not. With one thread (--threads 1) "seconds" in the output then means CPU
seconds spent in the measured minibatches, comparable with `recurrent bench --json`'s cpu_seconds.
Usage (from the repository root): python3 tools/bench/torch_charlm_cputime.py --threads 1 [peer options]
"""
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "bench")))
import torch_charlm  # noqa: E402

torch_charlm.time.perf_counter = time.process_time
sys.argv = ["torch_charlm.py"] + sys.argv[1:]
torch_charlm.main()
