# A WSGI app standing in for yours (uWSGI looks for the callable `application`): `/`
# answers at once, `/slow?s=N` after N seconds, to show what happens to a request in flight.
import os
import sys
import time
from urllib.parse import parse_qs


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/slow":
        seconds = float(parse_qs(environ.get("QUERY_STRING", "")).get("s", ["4"])[0])
        # One write, so that the line never mixes with another process's in the log.
        sys.stderr.write(f"slow request started in worker {os.getpid()}\n")
        sys.stderr.flush()
        time.sleep(seconds)
        body = f"slow request done by worker {os.getpid()}\n"
    else:
        body = f"ok from worker {os.getpid()}\n"
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body.encode()]
