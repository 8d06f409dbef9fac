# A program standing in for what supervisord runs for you: on SIGTERM it finishes its
# current job (a second), says so, and exits 0. It counts the SIGTERMs it gets.
import os
import signal
import sys
import time

terms = 0


def on_term(signum, frame):
    global terms
    terms += 1
    print(f"worker {os.getpid()} got SIGTERM ({terms})", flush=True)


signal.signal(signal.SIGTERM, on_term)
name = sys.argv[1] if len(sys.argv) > 1 else "worker"
print(f"{name} {os.getpid()} working", flush=True)
while terms == 0:
    signal.pause()
time.sleep(1)  # the job in hand
print(f"{name} finished its job after {terms} SIGTERM, exiting 0", flush=True)
sys.exit(0)
