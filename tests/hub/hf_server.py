"""A tiny in-memory Hugging Face Hub on a loopback port, for the hub tests.

It implements only the HTTP endpoints that ``huggingface_hub``'s
``HfApi.create_repo``, ``HfApi.upload_folder`` (preupload + NDJSON commit,
files sent inline as base64 "regular" uploads, optionally through a pull
request) and ``snapshot_download`` (repo info, tree listing, ``HEAD``/``GET``
on ``resolve``) call, with the status codes and ``X-Error-Code`` headers of the
real Hub, so the real client runs unchanged against it.

State: ``hub.repos[repo_id] = {"private": bool, "commits": {oid: {"files":
{path: bytes}, "parent": oid or None, "summary": str}}, "branches": {name:
oid}, "prs": int}``. Tokens listed in ``tokens`` are valid; any other
``Authorization`` header counts as anonymous.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

GITATTRIBUTES = b"*.keras filter=lfs diff=lfs merge=lfs -text\n"


def git_blob_oid(content):
    """Git's SHA-1 of a blob, as the Hub reports it for regular files."""
    return hashlib.sha1(  # noqa: S324 (git's object id, not security)
        b"blob %d\0" % len(content) + content
    ).hexdigest()


class HubError(Exception):
    """An HTTP error answer: status, Hub error code and message."""

    def __init__(self, status, code=None, message="", headers=None, body=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        self.body = {"error": message, **(body or {})}


def _repo_not_found(authenticated):
    # Like the Hub: 401 for anonymous callers (it may exist but be private),
    # 404 for authenticated ones.
    return HubError(401 if not authenticated else 404, "RepoNotFound", "Not found")


class FakeHub:
    """In-memory Hub served by a ``ThreadingHTTPServer`` on ``127.0.0.1:0``.

    Use as a context manager; ``url`` is the endpoint to give the client.
    ``requests`` logs ``(method, path)`` of every request received.
    """

    def __init__(self, tokens=("hf_owner_token",)):
        self.tokens = set(tokens)
        self.repos = {}
        self.requests = []
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.hub = self
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self._thread.join()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ----------------------------------------------------------- repo state
    def create_repo(self, repo_id, private):
        commit = {"files": {".gitattributes": GITATTRIBUTES}, "parent": None}
        oid = self._commit_oid(repo_id, commit, "initial commit")
        commit["summary"] = "initial commit"
        self.repos[repo_id] = {
            "private": private,
            "commits": {oid: commit},
            "branches": {"main": oid},
            "prs": 0,
        }

    def _commit_oid(self, repo_id, commit, summary):
        digest = hashlib.sha1()  # noqa: S324 (an id, not security)
        digest.update(f"{repo_id}\0{commit['parent']}\0{summary}\0".encode())
        digest.update(str(len(self.repos.get(repo_id, {}).get("commits", ()))).encode())
        for path in sorted(commit["files"]):
            digest.update(path.encode() + b"\0" + commit["files"][path])
        return digest.hexdigest()

    def resolve(self, repo_id, revision):
        """Commit oid of a branch name or (full) commit oid, else 404."""
        repo = self.repos[repo_id]
        if revision in repo["branches"]:
            return repo["branches"][revision]
        if revision in repo["commits"]:
            return revision
        raise HubError(404, "RevisionNotFound", f"Invalid rev id: {revision}")

    def head_files(self, repo_id, revision):
        oid = self.resolve(repo_id, revision)
        return oid, self.repos[repo_id]["commits"][oid]["files"]

    def commit(self, repo_id, branch, lines):
        """Apply NDJSON ``lines`` on top of ``branch``; return the new oid."""
        repo = self.repos[repo_id]
        if branch not in repo["branches"]:
            raise HubError(404, "RevisionNotFound", f"Invalid rev id: {branch}")
        parent = repo["branches"][branch]
        header = lines[0]["value"]
        if header.get("parentCommit") not in (None, parent):
            raise HubError(412, None, "A commit has happened since parentCommit")
        files = dict(repo["commits"][parent]["files"])
        for line in lines[1:]:
            key, value = line["key"], line["value"]
            if key == "file" and value.get("encoding") == "base64":
                files[value["path"]] = base64.b64decode(value["content"])
            elif key == "deletedFile":
                files.pop(value["path"], None)
            elif key == "deletedFolder":
                prefix = value["path"].rstrip("/") + "/"
                files = {p: c for p, c in files.items() if not p.startswith(prefix)}
            else:  # lfsFile: this server always asks for regular uploads
                raise HubError(400, None, f"Unsupported commit operation {key!r}")
        commit = {"files": files, "parent": parent}
        oid = self._commit_oid(repo_id, commit, header["summary"])
        commit["summary"] = header["summary"]
        repo["commits"][oid] = commit
        repo["branches"][branch] = oid
        return oid


class _Handler(BaseHTTPRequestHandler):
    """Route requests to the ``FakeHub`` stored on the server."""

    def log_message(self, format, *args):  # keep pytest output clean
        pass

    @property
    def hub(self):
        return self.server.hub

    # ------------------------------------------------------------ plumbing
    def _dispatch(self, method):
        split = urlsplit(self.path)
        segments = [unquote(s) for s in split.path.split("/")[1:]]
        query = parse_qs(split.query)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with self.hub.lock:
            self.hub.requests.append((method, split.path))
            try:
                status, headers, payload = self._route(method, segments, query, body)
            except HubError as err:
                status, payload = err.status, json.dumps(err.body)
                headers = {"Content-Type": "application/json"}
                if err.code:
                    headers["X-Error-Code"] = err.code
                headers["X-Error-Message"] = err.message
                headers.update(err.headers)
        if isinstance(payload, (dict, list)):
            payload = json.dumps(payload)
            headers.setdefault("Content-Type", "application/json")
        if isinstance(payload, str):
            payload = payload.encode()
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(payload)

    def do_GET(self):
        self._dispatch("GET")

    def do_HEAD(self):
        self._dispatch("HEAD")

    def do_POST(self):
        self._dispatch("POST")

    def _authenticated(self):
        auth = self.headers.get("Authorization", "")
        return auth.startswith("Bearer ") and auth[7:] in self.hub.tokens

    def _visible_repo(self, repo_id):
        repo = self.hub.repos.get(repo_id)
        if repo is None or (repo["private"] and not self._authenticated()):
            raise _repo_not_found(self._authenticated())
        return repo

    def _require_write(self, repo_id):
        self._visible_repo(repo_id)
        if not self._authenticated():
            raise HubError(401, None, "Invalid credentials in Authorization header")

    # -------------------------------------------------------------- routes
    def _route(self, method, seg, query, body):
        if method == "POST" and seg == ["api", "repos", "create"]:
            return self._create(json.loads(body))
        if method == "POST" and seg == ["api", "validate-yaml"]:
            # Checked before uploading a README.md (model card); accept it.
            return 200, {}, {"errors": [], "warnings": []}
        if len(seg) >= 4 and seg[:2] == ["api", "models"]:
            return self._api(method, f"{seg[2]}/{seg[3]}", seg[4:], query, body)
        if len(seg) >= 5 and seg[2] == "resolve" and method in ("GET", "HEAD"):
            return self._resolve(f"{seg[0]}/{seg[1]}", seg[3], "/".join(seg[4:]))
        raise HubError(404, None, f"No route for {method} {'/'.join(seg)}")

    def _create(self, payload):
        if not self._authenticated():
            raise HubError(401, None, "Invalid username or password.")
        repo_id = f"{payload['organization']}/{payload['name']}"
        if repo_id in self.hub.repos:
            # The Hub answers 409 with the URL; create_repo(exist_ok=True) reads it.
            url = {"url": f"{self.hub.url}/{repo_id}"}
            raise HubError(409, None, "You already created this model repo", body=url)
        self.hub.create_repo(repo_id, payload.get("visibility") == "private")
        return 200, {}, {"url": f"{self.hub.url}/{repo_id}", "name": repo_id}

    def _api(self, method, repo_id, rest, query, body):
        action = rest[0] if rest else "revision"
        if method == "GET" and action == "revision":
            return self._info(repo_id, rest[1] if len(rest) > 1 else "main")
        if method == "GET" and action == "tree":
            return self._tree(repo_id, rest[1], "/".join(rest[2:]))
        if method == "POST" and action == "preupload":
            return self._preupload(repo_id, rest[1], json.loads(body))
        if method == "POST" and action == "commit":
            return self._commit(repo_id, rest[1], body)
        if action == "discussions":
            return self._discussion(method, repo_id, rest[1:])
        raise HubError(404, None, f"No route for {method} {action}")

    def _info(self, repo_id, revision):
        repo = self._visible_repo(repo_id)
        oid, files = self.hub.head_files(repo_id, revision)
        return (
            200,
            {},
            {
                "id": repo_id,
                "sha": oid,
                "private": repo["private"],
                "siblings": [{"rfilename": path} for path in sorted(files)],
            },
        )

    def _tree(self, repo_id, revision, folder):
        self._visible_repo(repo_id)
        _, files = self.hub.head_files(repo_id, revision)
        prefix = folder.rstrip("/") + "/" if folder else ""
        entries = [
            {"type": "file", "path": p, "size": len(c), "oid": git_blob_oid(c)}
            for p, c in sorted(files.items())
            if p.startswith(prefix)
        ]
        return 200, {}, entries

    def _preupload(self, repo_id, revision, payload):
        self._require_write(repo_id)
        _, files = self.hub.head_files(repo_id, revision)
        answer = []
        for entry in payload["files"]:
            old = files.get(entry["path"])
            answer.append(
                {
                    "path": entry["path"],
                    "uploadMode": "regular",
                    "shouldIgnore": False,
                    "oid": None if old is None else git_blob_oid(old),
                }
            )
        return 200, {}, {"files": answer}

    def _commit(self, repo_id, revision, body):
        self._require_write(repo_id)
        lines = [json.loads(line) for line in body.splitlines() if line.strip()]
        oid = self.hub.commit(repo_id, revision, lines)
        return (
            200,
            {},
            {
                "commitUrl": f"{self.hub.url}/{repo_id}/commit/{oid}",
                "commitOid": oid,
                "pullRequestUrl": None,
            },
        )

    def _discussion(self, method, repo_id, rest):
        repo = self.hub.repos.get(repo_id)
        if method == "POST" and not rest:
            self._require_write(repo_id)
            repo["prs"] += 1
            num = repo["prs"]
            repo["branches"][f"refs/pr/{num}"] = repo["branches"]["main"]
            return 200, {}, {"num": num}
        self._visible_repo(repo_id)
        num = int(rest[0])
        return (
            200,
            {},
            {
                "num": num,
                "title": f"PR {num}",
                "status": "draft",
                "createdAt": "2024-01-01T00:00:00.000Z",
                "repo": {"name": repo_id, "type": "model"},
                "isPullRequest": True,
                "events": [],
                "changes": {"base": "refs/heads/main"},
                "filesWithConflicts": [],
            },
        )

    def _resolve(self, repo_id, revision, path):
        self._visible_repo(repo_id)
        oid, files = self.hub.head_files(repo_id, revision)
        if path not in files:
            raise HubError(
                404, "EntryNotFound", "Entry not found", {"X-Repo-Commit": oid}
            )
        content = files[path]
        headers = {
            "X-Repo-Commit": oid,
            "ETag": f'"{git_blob_oid(content)}"',
            "Content-Type": "application/octet-stream",
        }
        return 200, headers, content
