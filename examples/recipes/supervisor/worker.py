# A program standing in for what supervisord runs for you: on SIGTERM it finishes its
# current job (a second), says so, and exits 0. It counts the SIGTERMs it gets.
import os
import signal
import sys
import time

terms = 0


def say(line):
    # One write per line: the programs share supervisord's output.
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def on_term(signum, frame):
    global terms
    terms += 1
    say(f"worker {os.getpid()} got SIGTERM ({terms})")


signal.signal(signal.SIGTERM, on_term)
name = sys.argv[1] if len(sys.argv) > 1 else "worker"
say(f"{name} {os.getpid()} working")
while terms == 0:
    signal.pause()
time.sleep(1)  # the job in hand
say(f"{name} finished its job after {terms} SIGTERM, exiting 0")
sys.exit(0)
