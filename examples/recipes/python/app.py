"""A small HTTP service that cleans up in `finally`, as most Python code does: it relies on
KeyboardInterrupt (SIGINT) to stop, and has no SIGTERM handler."""
import http.server
import os


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok\n")


server = http.server.HTTPServer(("127.0.0.1", 8080), Handler)
print(f"listening on 8080, pid {os.getpid()}")
try:
    server.serve_forever()
except KeyboardInterrupt:
    print("got SIGINT, shutting down")
finally:
    server.server_close()
    print("closed, exiting 0")
