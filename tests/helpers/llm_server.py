"""A scripted OpenAI-compatible HTTP server on a free loopback port, for tests of the LLM client's users.

It speaks the real wire protocol (``POST /v1/chat/completions``, JSON or server-sent events), and each test
scripts its replies: valid answers, malformed JSON, refusals, 429 with Retry-After, slow answers, persistent
5xx, unsupported ``response_format``, answers cut off by the output limit. Use the ``server`` fixture
(import it into the test module) and ``server.then(...)`` the replies; ``server.requests`` holds what the
client sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shared.llm import OpenAIChatModel

MODEL = "scripted-model-1"


@dataclass
class Reply:
    status: int = 200
    body: dict | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    sse: list[dict] | None = None  # server-sent event payloads, for streaming requests


Script = Callable[[dict], Reply]


class ScriptedServer:
    """Answers each request with the next scripted reply (the last one repeats)."""

    def __init__(self) -> None:
        self.script: deque[Script] = deque()
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                server.requests.append(body)
                step = server.script.popleft() if len(server.script) > 1 else server.script[0]
                reply = step(body)
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                try:
                    self.send_response(reply.status)
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    if reply.sse is not None:
                        self.send_header("content-type", "text/event-stream")
                        self.end_headers()
                        for event in reply.sse:
                            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                        self.wfile.write(b"data: [DONE]\n\n")
                        return
                    raw = reply.body if isinstance(reply.body, str) else json.dumps(reply.body or {})
                    data = raw.encode()
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
                    pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def then(self, *steps: Script) -> None:
        self.script.extend(steps)

    def chat_model(self, *, timeout_s: float = 2.0, stream: bool = False) -> OpenAIChatModel:
        """The real client, pointed at this server."""
        return OpenAIChatModel(base_url=self.base_url, api_key="test-key", model=MODEL, timeout_s=timeout_s,
                               connect_timeout_s=1.0, stream=stream)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    srv = ScriptedServer().start()
    yield srv
    srv.stop()


def completion(content: str | None, *, finish: str = "stop", refusal: str | None = None, usage=(120, 80)) -> dict:
    """A chat.completion body with one choice."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": MODEL,
        "choices": [{"index": 0, "finish_reason": finish,
                     "message": {"role": "assistant", "content": content, "refusal": refusal}}],
        "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)},
    }


def status(code: int, **headers: str) -> Script:
    """A reply with an HTTP error status (and headers such as Retry-After)."""
    return lambda _req: Reply(status=code, body={"error": {"message": "scripted", "type": "x"}}, headers=headers)
