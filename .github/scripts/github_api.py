"""The GitHub API calls of the llm-gate action: post or update one pull-request comment, fetch a baseline artifact.

    python github_api.py comment BODY.md
    python github_api.py baseline ARTIFACT_NAME BRANCH DEST_DIR

Standard library only, so that it runs before anything is installed. Reads GITHUB_API_URL,
GITHUB_REPOSITORY, GITHUB_EVENT_PATH and the token from INPUT_GITHUB_TOKEN or GITHUB_TOKEN.
"""

from __future__ import annotations

import io
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path


def _api() -> str:
    return os.environ.get("GITHUB_API_URL", "https://api.github.com").rstrip("/")


def _token() -> str:
    return os.environ.get("INPUT_GITHUB_TOKEN") or os.environ.get("GITHUB_TOKEN") or ""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # handled by _request, so the token never leaves the API host
        return None


def _request(method: str, url: str, body: dict | None = None, auth: bool = True) -> tuple[int, bytes]:
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "advisor-llm-gate"}
    if auth and _token():
        headers["Authorization"] = f"Bearer {_token()}"
    data = None if body is None else json.dumps(body).encode()
    if data is not None:
        headers["Content-Type"] = "application/json"
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(urllib.request.Request(url, data=data, method=method, headers=headers), timeout=60) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as exc:
        if exc.code in (301, 302, 303, 307, 308) and exc.headers.get("Location"):
            location = urllib.parse.urljoin(url, exc.headers["Location"])
            same_host = urllib.parse.urlsplit(location).netloc == urllib.parse.urlsplit(url).netloc
            return _request("GET", location, auth=auth and same_host)
        raise SystemExit(f"GitHub API {method} {url}: HTTP {exc.code} {exc.read()[:300]!r}") from None


def _json(method: str, path: str, body: dict | None = None):
    return json.loads(_request(method, f"{_api()}{path}", body)[1] or b"null")


def pull_request_number() -> int | None:
    event_path = os.environ.get("GITHUB_EVENT_PATH")
    if not event_path or not Path(event_path).is_file():
        return None
    event = json.loads(Path(event_path).read_text(encoding="utf-8"))
    return (event.get("pull_request") or {}).get("number") or event.get("number")


def comment(body_path: str) -> None:
    """Update the comment that starts with the body's first line (its marker), or post a new one."""
    body = Path(body_path).read_text(encoding="utf-8")
    marker = body.splitlines()[0]
    number, repo = pull_request_number(), os.environ["GITHUB_REPOSITORY"]
    if number is None:
        print("llm-gate: not a pull request, no comment posted")
        return
    for page in range(1, 11):
        found = _json("GET", f"/repos/{repo}/issues/{number}/comments?per_page=100&page={page}")
        mine = next((c for c in found if str(c.get("body", "")).startswith(marker)), None)
        if mine is not None:
            _json("PATCH", f"/repos/{repo}/issues/comments/{mine['id']}", {"body": body})
            print(f"llm-gate: updated comment {mine['id']} on #{number}")
            return
        if len(found) < 100:
            break
    made = _json("POST", f"/repos/{repo}/issues/{number}/comments", {"body": body})
    print(f"llm-gate: posted comment {made['id']} on #{number}")


def baseline(name: str, branch: str, dest: str) -> None:
    """Unzip the newest unexpired artifact `name` made on `branch` into dest; exit 1 when there is none."""
    repo = os.environ["GITHUB_REPOSITORY"]
    query = urllib.parse.urlencode({"name": name, "per_page": 100})
    artifacts = _json("GET", f"/repos/{repo}/actions/artifacts?{query}").get("artifacts", [])
    match = next((a for a in artifacts if not a.get("expired") and a.get("name") == name
                  and (a.get("workflow_run") or {}).get("head_branch") == branch), None)
    if match is None:
        print(f"llm-gate: no artifact {name!r} from branch {branch!r}; comparing with nothing")
        sys.exit(1)
    _, data = _request("GET", match["archive_download_url"])
    zipfile.ZipFile(io.BytesIO(data)).extractall(dest)
    print(f"llm-gate: baseline from artifact {match['id']} ({branch}) in {dest}")


if __name__ == "__main__":
    commands = {"comment": comment, "baseline": baseline}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        raise SystemExit(__doc__)
    commands[sys.argv[1]](*sys.argv[2:])
