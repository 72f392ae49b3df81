"""A loopback fake of OpenAI's fine-tuning API: files, jobs that advance one state per poll, events, chat.

Runs on the thread runner of `fakes.openai_server` and speaks the same bare HTTP/1.1. It checks what
the real API would reject (an uploaded line with keys other than `messages`), counts requests per
endpoint, and "fine-tunes" by memorizing the uploaded file: chat requests to the fine-tuned model get
the assistant answer that training gave to the same user message, else what the base model knows.
The base model (any model a job was started from) answers from `knows` (user message -> answer), and
"unknown" otherwise. `forgets=0.25` makes the fine-tuned model lose the first quarter of `knows`.
`fail="message"` makes every job fail at validation with that message.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import json
import time
from collections import Counter
from urllib.parse import parse_qs, urlsplit

from fakes.openai_server import FakeOpenAI, FakeOpenAIServer, _parse_head, _response

STATES = ("validating_files", "queued", "running", "running", "succeeded")
TRAINED_TOKENS = 4242


class FakeFineTuning:
    """The request handler and its state; the chat replies reuse `FakeOpenAI`'s completion shape."""

    def __init__(self, *, fail: str | None = None, org: str = "advisor", knows: dict[str, str] | None = None, forgets: float = 0.0):
        self.fail = fail
        self.org = org
        self.knows = dict(knows or {})
        self.forgotten = set(list(self.knows)[: round(forgets * len(self.knows))])
        self.calls = Counter()  # "POST /files", "GET /fine_tuning/jobs/{id}", ... -> requests received
        self.files: dict[str, list[dict]] = {}
        self.jobs: dict[str, dict] = {}
        self.job_requests: list[dict] = []
        self.events: dict[str, list[dict]] = {}
        self.bad_lines: list[str] = []
        self.authorizations: set[str] = set()
        self.answers: dict[str, str] = {}  # user text -> memorized answer, per fine-tuned model
        self.chat = FakeOpenAI()

    async def serve(self, host="127.0.0.1", port=0) -> asyncio.Server:
        return await asyncio.start_server(self._connection, host, port)

    async def _connection(self, reader, writer):
        try:
            while True:
                method, path, headers = _parse_head(await reader.readuntil(b"\r\n\r\n"))
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.authorizations.add(headers.get("authorization", ""))
                status, payload = self._answer(method, path, headers, body)
                writer.write(_response(status, {}, json.dumps(payload)))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, asyncio.CancelledError):
            pass  # the client went away, or the server is shutting down
        finally:
            writer.close()

    def _answer(self, method, path, headers, body):
        url = urlsplit(path)
        parts = url.path.strip("/").split("/")[1:]  # without the leading "v1"
        route = (method, *(p if i != 2 else "{id}" for i, p in enumerate(parts)))
        handlers = {
            ("POST", "files"): lambda: self._upload(headers, body),
            ("POST", "fine_tuning", "jobs"): lambda: self._create(json.loads(body)),
            ("GET", "fine_tuning", "jobs", "{id}"): lambda: self._retrieve(parts[2]),
            ("GET", "fine_tuning", "jobs", "{id}", "events"): lambda: self._events(parts[2], parse_qs(url.query)),
            ("POST", "chat", "completions"): lambda: self._complete(json.loads(body)),
            ("GET", "models"): lambda: (200, {"object": "list", "data": [_model(m) for m in self.answers]}),
        }
        self.calls[f"{method} /{'/'.join(route[1:])}"] += 1
        handler = handlers.get(route)
        return handler() if handler else _error(404, f"no route {method} {url.path}")

    def _upload(self, headers, body):
        form = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {headers['content-type']}\r\n\r\n".encode() + body
        )
        parts = {part.get_param("name", header="content-disposition"): part for part in form.iter_parts()}
        if parts["purpose"].get_content().strip() != "fine-tune":
            return _error(400, "purpose must be fine-tune")
        upload = parts["file"]
        lines = [json.loads(line) for line in upload.get_payload(decode=True).decode().splitlines() if line.strip()]
        self.bad_lines += [json.dumps(line) for line in lines if set(line) != {"messages"}]
        if not lines or self.bad_lines:
            return _error(400, f"invalid training file: {len(self.bad_lines)} line(s) with keys other than 'messages'")
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = lines
        return 200, {
            "id": file_id,
            "object": "file",
            "bytes": len(body),
            "created_at": int(time.time()),
            "filename": upload.get_filename(),
            "purpose": "fine-tune",
            "status": "processed",
        }

    def _create(self, request):
        if request.get("training_file") not in self.files:
            return _error(400, f"no such file: {request.get('training_file')}")
        self.job_requests.append(request)
        job_id = f"ftjob-{len(self.jobs) + 1}"
        self.jobs[job_id] = {"id": job_id, "polls": 0, "request": request, "created_at": int(time.time())}
        self.events[job_id] = []
        self._event(job_id, f"Created fine-tuning job: {job_id}")
        return 200, self._job(job_id, "validating_files")

    def _retrieve(self, job_id):
        if job_id not in self.jobs:
            return _error(404, f"no such job: {job_id}")
        job = self.jobs[job_id]
        job["polls"] += 1
        status = "failed" if self.fail else STATES[min(job["polls"], len(STATES) - 1)]
        if status != job.get("status"):
            job["status"] = status
            self._event(job_id, f"Job {status}" if status != "running" else "Step 1/2: training loss=0.42")
            if status == "succeeded":
                self._learn(job)
        return 200, self._job(job_id, status)

    def _events(self, job_id, query):
        newest_first = self.events.get(job_id, [])[::-1]
        after = query.get("after", [None])[0]
        if after is not None:
            newest_first = newest_first[[e["id"] for e in newest_first].index(after) + 1 :]
        limit = int(query.get("limit", ["20"])[0])
        page = newest_first[:limit]
        return 200, {"object": "list", "data": page, "has_more": len(newest_first) > limit}

    def _complete(self, request):
        model = request.get("model")
        user = next(m["content"] for m in reversed(request["messages"]) if m["role"] == "user")
        if model in self.answers:
            known = "unknown" if user in self.forgotten else self.knows.get(user, "unknown")
            answer = self.answers[model].get(user, known)
        elif model in {job["request"]["model"] for job in self.jobs.values()}:
            answer = self.knows.get(user, "unknown")
        else:
            return _error(404, f"The model '{model}' does not exist")
        return 200, self.chat._completion(request, answer)

    def _learn(self, job):
        """Memorize the training file: each user message maps to the assistant answer after it."""
        pairs = {}
        for line in self.files[job["request"]["training_file"]]:
            messages = line["messages"]
            for user, reply in zip(messages, messages[1:]):
                if user["role"] == "user" and reply["role"] == "assistant":
                    pairs[user["content"]] = reply["content"]
        self.answers[self.model_id(job["request"]["model"])] = pairs

    def model_id(self, base: str) -> str:
        return f"ft:{base}:{self.org}::abc123"

    def _event(self, job_id, message):
        events = self.events[job_id]
        events.append(
            {
                "id": f"ftevent-{job_id}-{len(events) + 1}",
                "object": "fine_tuning.job.event",
                "created_at": int(time.time()),
                "level": "info",
                "message": message,
                "type": "message",
            }
        )

    def _job(self, job_id, status):
        job, request = self.jobs[job_id], self.jobs[job_id]["request"]
        done = status in ("succeeded", "failed")
        return {
            "id": job_id,
            "object": "fine_tuning.job",
            "created_at": job["created_at"],
            "model": request["model"],
            "organization_id": f"org-{self.org}",
            "result_files": [],
            "seed": request.get("seed", 0),
            "status": status,
            "training_file": request["training_file"],
            "validation_file": request.get("validation_file"),
            "hyperparameters": {"n_epochs": "auto"},
            "method": request.get("method"),
            "finished_at": int(time.time()) if done else None,
            "fine_tuned_model": self.model_id(request["model"]) if status == "succeeded" else None,
            "trained_tokens": TRAINED_TOKENS if status == "succeeded" else None,
            "error": {"code": "invalid_training_file", "message": self.fail, "param": "training_file"} if status == "failed" else None,
        }


def _model(model_id: str) -> dict:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": "advisor"}


def _error(status: int, message: str):
    return status, {"error": {"message": message, "type": "invalid_request_error", "code": None, "param": None}}


def finetune_server(**options) -> FakeOpenAIServer:
    """A `FakeFineTuning` on its own thread; use as a context manager, the app is `.app`."""
    server = FakeOpenAIServer()
    server.app = FakeFineTuning(**options)
    return server
