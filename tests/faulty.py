"""A loopback HTTP proxy in front of the S3 server that answers chosen requests with
503 Service Unavailable: transient storage errors, injected on the wire, where a real
outage would come from. Requests pass through unchanged otherwise (signatures included:
the Host header is forwarded as the client signed it).

    with FaultyProxy(server.endpoint) as proxy:
        proxy.fail("flaky", times=2)   # the next 2 requests whose path holds "flaky"
        proxy.fail("broken")           # every request whose path holds "broken"
        proxy.endpoint                 # give this to the client instead of the server's
"""

from __future__ import annotations

import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

_UNAVAILABLE = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ServiceUnavailable</Code>'
    b"<Message>Injected by the test proxy</Message></Error>"
)


class FaultyProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.rules: dict[str, int] = {}  # path fragment -> failures left (-1: always)
        self.failed: list[str] = []  # "METHOD path" of every request answered 503
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if proxy._should_fail(self.path):
                    with proxy.lock:
                        proxy.failed.append(f"{self.command} {self.path}")
                    self.send_response(503)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(_UNAVAILABLE)))
                    self.end_headers()
                    self.wfile.write(_UNAVAILABLE)
                    return
                connection = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "expect"}
                connection.request(self.command, self.path, body=body, headers=headers)
                answer = connection.getresponse()
                data = answer.read()
                self.send_response(answer.status, answer.reason)
                for key, value in answer.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                length = answer.getheader("Content-Length") if self.command == "HEAD" else None
                self.send_header("Content-Length", length or str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                connection.close()

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def fail(self, fragment: str, times: int = -1) -> None:
        with self.lock:
            self.rules[fragment] = times

    def _should_fail(self, path: str) -> bool:
        with self.lock:
            for fragment, left in self.rules.items():
                if fragment in path and left != 0:
                    self.rules[fragment] = left - 1 if left > 0 else -1
                    return True
        return False

    def __enter__(self) -> FaultyProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
