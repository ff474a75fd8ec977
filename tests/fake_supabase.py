"""A local Supabase Storage server, in memory, with fault injection: what storage3 and tuspy meet.

It plays hosted Supabase as FACTS §3 describes the protocol and §7 records the real storage-api
v1.26.5 (file backend) behind its proxy:

- The gateway (`gateway=True`, the default) wants an `apikey` it knows: 401 "No API key found in
  request" / "Invalid API key". storage-api itself ignores `apikey`; with `gateway=False` so does
  the fake.
- Keys are HS256 JWTs under the fake's secret (`key(role)` mints one; `service_key` is a
  service_role key, or exactly the string a test passes). A wrong signature, a non-JWT bearer and a
  missing Authorization header get storage-api's answers; a role other than service_role sees 404
  "Bucket not found" for private buckets (row-level security hides them).
- Errors are HTTP 400 with JSON whose `statusCode` is a string; uploads honour `x-upsert`
  (an upsert keeps the object's Id and bumps its `version`) and the bucket's size and MIME limits;
  `GET /bucket/{id}` reports them; a bucket is deleted only when empty.
- Signed URLs carry HS256 JWTs `{url, iat, exp}`; a signed GET answers `Expires`, `ETag` and
  `Last-Modified`, never `Cache-Control`.
- TUS (`/upload/resumable`): answers carry true HTTP statuses with text/plain bodies (bad auth is
  the exception: HTTP 400, JSON, code AccessDenied); chunks of any size; an absolute `Location`
  built from the X-Forwarded-* headers, the upload id being base64url of `bucket/object/<uuid>`;
  an object appears only once every byte has arrived; a PATCH is processed to the end even when
  its client has gone.
- Outages: `down()`, `up()`, `restart(seconds)`; meanwhile the proxy answers 502 with HTML, and
  TUS uploads in progress survive (the file backend keeps them on disk).

Tests read `requests` (what arrived) and `objects` (what is stored), and `inject` faults: error
statuses, connection resets (also part-way through a body), stalls past the client's timeout,
delays, and answers lost after the work.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import socket
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from email.message import Message
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, quote, unquote, urlsplit

import fake_jwt

MB = 1024 * 1024
IMAGES = ("image/png", "image/jpeg", "image/webp")
SERVICE_ROLE = "service_role"
TUS_MAX_SIZE = 524_288_000  # the server's own upload limit, advertised as Tus-Max-Size
TUS_EXTENSIONS = "creation,creation-with-upload,creation-defer-length,termination,expiration"
TUS_PATH = "/storage/v1/upload/resumable/"
KEY_LIFETIME = 10 * 365 * 24 * 3600  # Supabase's keys last about ten years
BAD_GATEWAY = (  # what the proxy in front says while the server is down (FACTS §7)
    b"<html><head><title>502 Bad Gateway</title></head>"
    b"<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>\n"
)
BEARER = re.compile(r"^Bearer\s+", re.IGNORECASE)


@dataclass
class Bucket:
    max_bytes: int | None  # None: no bucket limit (file_size_limit null)
    mime_types: tuple[str, ...] | None  # None: anything
    public: bool = False

    def allows(self, content_type: str) -> bool:
        if self.mime_types is None:
            return True
        base = content_type.split(";", 1)[0].strip().lower()
        major = base.split("/", 1)[0]
        return any(m in (base, f"{major}/*") for m in self.mime_types)


def platform_buckets() -> dict[str, Bucket]:
    """The platform's buckets (FACTS §1)."""
    return {
        "videos-final": Bucket(100 * MB, ("video/mp4", "video/webm")),
        "scene-previews": Bucket(10 * MB, IMAGES),
        "video-thumbnails": Bucket(5 * MB, IMAGES),
        "character-images": Bucket(5 * MB, IMAGES),
        "system-assets": Bucket(5 * MB, None, public=True),
    }


@dataclass
class StoredFile:
    data: bytes
    content_type: str
    cache_control: str
    id: str
    via: Literal["standard", "resumable"]
    version: int = 1  # bumped by every upsert; the id stays
    last_modified: float = field(default_factory=time.time)

    @property
    def etag(self) -> str:
        return f'"{hashlib.md5(self.data).hexdigest()}"'


@dataclass
class Recorded:
    """One request as it arrived (faulted ones too, with `fault` set; "down" during an outage)."""

    method: str
    path: str  # URL path, percent-decoded, without the query
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body_size: int = 0
    file_content_type: str | None = None  # the multipart file part's type (standard uploads)
    cache_control: str | None = None  # form field cacheControl, or the Cache-Control header
    tus_metadata: dict[str, str] = field(default_factory=dict)
    fault: str | None = None


FaultKind = Literal["status", "reset", "stall", "delay", "drop_response"]


@dataclass
class Fault:
    """What to do to the next `times` matching requests (after `skip` of them pass).

    status: read the body, answer `status` with `body` (nothing is stored).
    reset: read `after_bytes` of the body, then reset the connection without answering.
    stall: read the body, hold it `seconds`, then drop the connection unprocessed.
    delay: read the body, wait `seconds`, then process and answer normally. The work is done even
        if the client timed out meanwhile (a TUS PATCH still appends: FACTS §7); requests to the
        same TUS upload wait for it, as tus-server's upload lock makes them.
    drop_response: process the request, then close without answering (the answer is lost).
    """

    kind: FaultKind
    times: int = 1
    method: str | None = None
    path: str | None = None  # substring of the decoded path
    status: int = 503
    body: bytes | None = None
    after_bytes: int = 0
    seconds: float = 0.0
    skip: int = 0  # let this many matching requests through first

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (self.path is None or self.path in path)


@dataclass
class TusUpload:
    bucket: str
    name: str
    length: int
    content_type: str
    cache_control: str
    upsert: bool
    data: bytearray = field(default_factory=bytearray)
    finished: bool = False  # kept afterwards, as the file backend does: HEAD gives the full offset


class Reply(Exception):
    """Raised inside a route to answer with an error."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def storage_error(status_code: str, error: str, message: str, http_status: int = 400) -> Reply:
    """The storage API's error shape: mostly HTTP 400 with the real code as a string."""
    return Reply(http_status, {"statusCode": status_code, "error": error, "message": message})


def tus_error(status: int, text: str) -> Reply:
    """tus-server's error shape: the true status, a text/plain body."""
    return Reply(status, text.encode(), {"Tus-Resumable": "1.0.0", "Content-Type": "text/plain"})


def bucket_not_found() -> Reply:
    return storage_error("404", "Bucket not found", "Bucket not found")


class FakeSupabase:
    def __init__(
        self,
        service_key: str | None = None,
        *,
        buckets: dict[str, Bucket] | None = None,
        global_limit: int | None = None,
        gateway: bool = True,
        jwt_secret: str | None = None,
    ) -> None:
        self.clock_offset = 0.0  # tests move time forward to expire signed URLs
        self.jwt_secret = jwt_secret or fake_jwt.b64url(uuid.uuid4().bytes + uuid.uuid4().bytes)
        # A string given here is accepted exactly as it is, JWT or not, as the service-role key.
        self.service_key = service_key if service_key is not None else self.key(SERVICE_ROLE)
        self.gateway = gateway  # hosted Supabase checks `apikey` in front of storage-api
        self.buckets = buckets if buckets is not None else platform_buckets()
        self.global_limit = global_limit  # the project's upload limit, below bucket limits
        self.objects: dict[tuple[str, str], StoredFile] = {}
        self.uploads: dict[str, TusUpload] = {}
        self.requests: list[Recorded] = []
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._upload_locks: dict[str, threading.Lock] = {}
        self._down = threading.Event()
        self._comeback: threading.Timer | None = None
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle and test controls ------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._server is not None, "server not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeSupabase:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fake-supabase", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._comeback is not None:
            self._comeback.cancel()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def inject(self, kind: FaultKind, **options: Any) -> Fault:
        fault = Fault(kind, **options)
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def seen(self, method: str | None = None, path: str | None = None) -> list[Recorded]:
        with self._lock:
            return [
                r for r in self.requests if (method is None or r.method == method) and (path is None or path in r.path)
            ]

    def put_object(self, bucket: str, name: str, data: bytes, content_type: str) -> None:
        """Seed an object directly (no request recorded)."""
        with self._lock:
            self.objects[(bucket, name)] = StoredFile(
                data, content_type, "max-age=3600", str(uuid.uuid4()), "standard", last_modified=self.now()
            )

    def now(self) -> float:
        return time.time() + self.clock_offset

    def key(self, role: str, *, secret: str | None = None, expires_in: int = KEY_LIFETIME) -> str:
        """An API key as Supabase mints them: HS256 {role, iss, iat, exp}, under `secret` (default ours)."""
        iat = int(self.now())
        claims = {"role": role, "iss": "supabase", "iat": iat, "exp": iat + expires_in}
        return fake_jwt.encode(claims, secret or self.jwt_secret)

    def accepts_apikey(self, apikey: str) -> bool:
        """The gateway's check: the configured service key, or any key signed with our secret."""
        return apikey == self.service_key or fake_jwt.signed_by(apikey, self.jwt_secret)

    # -- outages: the proxy stays, the server behind it goes --------------------------------------

    @property
    def is_down(self) -> bool:
        return self._down.is_set()

    def down(self) -> None:
        """From now on every request gets the proxy's 502 (an HTML page) until `up()`."""
        self._cancel_comeback()
        self._down.set()

    def up(self) -> None:
        self._cancel_comeback()
        self._down.clear()

    def restart(self, seconds: float) -> None:
        """Go down now and come back after `seconds`, on a timer; returns at once. State survives."""
        self.down()
        self._comeback = threading.Timer(seconds, self._down.clear)
        self._comeback.daemon = True
        self._comeback.start()

    def _cancel_comeback(self) -> None:
        if self._comeback is not None:
            self._comeback.cancel()
            self._comeback = None

    # -- internals used by the handler ----------------------------------------------------------

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.matches(method, path):
                    if fault.skip > 0:
                        fault.skip -= 1
                        continue
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _record(self, recorded: Recorded) -> None:
        with self._lock:
            self.requests.append(recorded)

    def _upload_lock(self, path: str) -> AbstractContextManager[Any]:
        """One request at a time per TUS upload (tus-server locks the upload while it works)."""
        upload_id = path[len(TUS_PATH) :].strip("/") if path.startswith(TUS_PATH) else ""
        if not upload_id:
            return nullcontext()
        with self._lock:
            return self._upload_locks.setdefault(upload_id, threading.Lock())

    def _sign_token(self, bucket: str, name: str, expires_in: int) -> str:
        iat = int(self.now())
        return fake_jwt.encode({"url": f"{bucket}/{name}", "iat": iat, "exp": iat + expires_in}, self.jwt_secret)

    def _check_token(self, token: str, bucket: str, name: str) -> dict[str, Any]:
        try:
            claims = fake_jwt.decode(token, self.jwt_secret, now=self.now())
        except fake_jwt.JwtError as error:
            raise storage_error("400", "InvalidJWT", error.message) from None
        if claims.get("url") != f"{bucket}/{name}":
            raise storage_error("400", "InvalidSignature", "The url do not match the signature")
        return claims


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a stalled handler must not hold up stop()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out or reset mid-request are part of the tests


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSupabase
    protocol_version = "HTTP/1.1"  # keep-alive, as clients pool connections
    role = SERVICE_ROLE  # the role of the request being answered (set by `_role`)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._handle()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = do_GET

    # -- dispatch -------------------------------------------------------------------------------

    def _handle(self) -> None:
        split = urlsplit(self.path)
        path = unquote(split.path)
        query = {k: v[0] for k, v in parse_qs(split.query).items()}
        recorded = Recorded(self.command, path, query, {k.lower(): v for k, v in self.headers.items()})
        self.role = SERVICE_ROLE
        if self.fake.is_down:  # the proxy reads the request, finds no server behind it
            recorded.body_size = len(self._read_body())
            recorded.fault = "down"
            self.fake._record(recorded)
            self._send(502, BAD_GATEWAY, {"Content-Type": "text/html"})
            return
        fault = self.fake._take_fault(self.command, path)
        if fault is not None:
            recorded.fault = fault.kind
        if fault is not None and fault.kind == "reset":
            partial = self._read_body(limit=fault.after_bytes)
            recorded.body_size = len(partial)
            self.fake._record(recorded)
            self._reset()
            return
        body = self._read_body()
        recorded.body_size = len(body)
        if fault is not None and fault.kind == "status":
            self.fake._record(recorded)
            default = {"statusCode": str(fault.status), "error": "injected", "message": "injected failure"}
            self._send(fault.status, fault.body if fault.body is not None else default)
            return
        if fault is not None and fault.kind == "stall":
            self.fake._record(recorded)
            self.fake._stopping.wait(fault.seconds)
            self._reset()
            return
        with self.fake._upload_lock(path):
            self.fake._record(recorded)  # inside the lock: once seen, later requests queue behind it
            if fault is not None and fault.kind == "delay":
                self.fake._stopping.wait(fault.seconds)
            if self.fake.is_down:  # the server went away while this request waited: no work done
                self._send(502, BAD_GATEWAY, {"Content-Type": "text/html"})
                return
            try:
                status, payload, headers = self._route(path, query, body, recorded)
            except Reply as reply:
                status, payload, headers = reply.status, reply.body, reply.headers
        if fault is not None and fault.kind == "drop_response":
            self._reset()
            return
        self._send(status, payload, headers)

    def _route(self, path: str, query: dict[str, str], body: bytes, rec: Recorded) -> tuple[int, Any, dict]:
        prefix = "/storage/v1/"
        if not path.startswith(prefix):
            raise Reply(404, {"message": "no Route matched with those values"})
        route = path[len(prefix) :]
        method = self.command
        # Open routes: a signed URL carries its own token, public buckets need none, nor TUS preflight.
        if route.startswith("object/sign/") and method == "GET":
            bucket, name = _split(route[len("object/sign/") :])
            return self._download_signed(bucket, name, query.get("token", ""))
        if route.startswith("object/public/") and method == "GET":
            bucket, name = _split(route[len("object/public/") :])
            return self._download_public(bucket, name)
        if route.startswith("upload/resumable") and method == "OPTIONS":
            return 204, b"", {"Tus-Resumable": "1.0.0", "Tus-Version": "1.0.0",
                              "Tus-Extension": TUS_EXTENSIONS, "Tus-Max-Size": str(TUS_MAX_SIZE)}  # fmt: skip
        self._gateway()
        if route.startswith("upload/resumable"):
            return self._tus_route(route[len("upload/resumable") :].strip("/"), body, rec)
        self._role()
        if route.startswith("bucket/") and method in ("GET", "DELETE"):
            name = route[len("bucket/") :].strip("/")
            return self._bucket_info(name) if method == "GET" else self._delete_bucket(name)
        if route.startswith("object/sign/") and method == "POST":
            bucket, name = _split(route[len("object/sign/") :])
            return self._sign(bucket, name, body)
        if route.startswith("object/"):
            target = route[len("object/") :]
            if method == "DELETE" and "/" not in target.strip("/"):
                return self._delete(target.strip("/"), body)
            if method == "GET" and target.startswith("authenticated/"):
                target = target[len("authenticated/") :]
            bucket, name = _split(target)
            if method in ("POST", "PUT"):
                return self._upload(bucket, name, body, rec, upsert=method == "PUT" or self._upsert())
            if method == "GET":
                return self._download(bucket, name)
        raise Reply(404, {"statusCode": "404", "error": "not_found", "message": "Route not found"})

    # -- auth: the gateway's apikey, then storage-api's JWT --------------------------------------

    def _gateway(self) -> None:
        if not self.fake.gateway:
            return  # storage-api alone ignores `apikey`
        apikey = self.headers.get("apikey")
        if apikey is None:
            raise Reply(401, {"message": "No API key found in request"})
        if not self.fake.accepts_apikey(apikey):
            raise Reply(401, {"message": "Invalid API key"})

    def _role(self, *, header_schema: bool = True) -> str:
        """The bearer's role; storage-api's refusal otherwise. TUS routes have no header schema."""
        authorization = self.headers.get("authorization")
        if authorization is None and header_schema:
            raise storage_error("400", "Error", "headers must have required property 'authorization'")
        token = BEARER.sub("", authorization or "")
        if token == self.fake.service_key:
            self.role = SERVICE_ROLE
        else:
            try:
                claims = fake_jwt.decode(token, self.fake.jwt_secret, now=self.fake.now())
            except fake_jwt.JwtError as error:
                raise storage_error("403", "Unauthorized", error.message) from None
            self.role = str(claims.get("role", "anon"))
        return self.role

    def _upsert(self) -> bool:
        return (self.headers.get("x-upsert") or "").lower() == "true"

    # -- buckets --------------------------------------------------------------------------------

    def _bucket(self, name: str, *, write: bool = False) -> Bucket:
        """The bucket as the request's role sees it: RLS hides private buckets from other roles."""
        bucket = self.fake.buckets.get(name)
        if bucket is None or (self.role != SERVICE_ROLE and not bucket.public):
            raise bucket_not_found()
        if write and self.role != SERVICE_ROLE:
            raise storage_error("403", "Unauthorized", "new row violates row-level security policy")
        return bucket

    def _bucket_info(self, name: str) -> tuple[int, Any, dict]:
        bucket = self._bucket(name)
        created = "2026-01-01T00:00:00.000Z"
        return 200, {
            "id": name, "name": name, "owner": "", "public": bucket.public, "type": "STANDARD",
            "file_size_limit": bucket.max_bytes, "allowed_mime_types": list(bucket.mime_types or []) or None,
            "created_at": created, "updated_at": created,
        }, {}  # fmt: skip

    def _delete_bucket(self, name: str) -> tuple[int, Any, dict]:
        if self.role != SERVICE_ROLE or name not in self.fake.buckets:
            raise bucket_not_found()
        with self.fake._lock:
            if any(bucket == name for bucket, _ in self.fake.objects):
                raise storage_error("409", "InvalidRequest", "The bucket you tried to delete is not empty")
            del self.fake.buckets[name]
        return 200, {"message": "Successfully deleted"}, {}

    def _limit(self, bucket: Bucket) -> int:
        """Effective limit: min(bucket limit, project global limit, server limit) (FACTS §3)."""
        return min(n for n in (bucket.max_bytes, self.fake.global_limit, TUS_MAX_SIZE) if n is not None)

    def _check_limits(self, bucket: Bucket, size: int, content_type: str) -> None:
        if size > self._limit(bucket):
            raise storage_error("413", "Payload too large", "The object exceeded the maximum allowed size")
        if not bucket.allows(content_type):
            raise storage_error("415", "invalid_mime_type", f"mime type {content_type} is not supported")

    # -- objects --------------------------------------------------------------------------------

    def _upload(
        self, bucket_name: str, name: str, body: bytes, rec: Recorded, *, upsert: bool
    ) -> tuple[int, Any, dict]:
        content_type_header = self.headers.get("content-type", "")
        if content_type_header.startswith("multipart/form-data"):
            fields = _parse_multipart(body, content_type_header)
            if "file" not in fields:
                raise storage_error("400", "InvalidRequest", "No file found in request")
            file_headers, data = fields["file"]
            content_type = file_headers.get("content-type", "text/plain;charset=UTF-8")
            cache = fields["cacheControl"][1].decode() if "cacheControl" in fields else "3600"
            rec.file_content_type = content_type
        else:  # a raw body: type and caching from the request's headers
            data = body
            content_type = content_type_header or "text/plain;charset=UTF-8"
            cache = self.headers.get("cache-control", "3600")
        rec.cache_control = cache
        bucket = self._bucket(bucket_name, write=True)
        self._check_limits(bucket, len(data), content_type)
        return 200, self._store(bucket_name, name, data, content_type, cache, upsert, "standard"), {}

    def _store(
        self, bucket: str, name: str, data: bytes, content_type: str, cache: str, upsert: bool, via: str
    ) -> dict[str, str]:
        with self.fake._lock:
            existing = self.fake.objects.get((bucket, name))
            if existing is not None and not upsert:
                raise storage_error("409", "Duplicate", "The resource already exists")
            object_id = existing.id if existing is not None else str(uuid.uuid4())
            version = existing.version + 1 if existing is not None else 1
            cache_control = f"max-age={cache}" if cache.isdigit() else cache
            stored = StoredFile(data, content_type, cache_control, object_id, via, version, self.fake.now())  # type: ignore[arg-type]
            self.fake.objects[(bucket, name)] = stored
        return {"Key": f"{bucket}/{name}", "Id": object_id}

    def _existing(self, bucket: str, name: str) -> StoredFile:
        self._bucket(bucket)
        stored = self.fake.objects.get((bucket, name))
        if stored is None:
            raise storage_error("404", "not_found", "Object not found")
        return stored

    def _sign(self, bucket: str, name: str, body: bytes) -> tuple[int, Any, dict]:
        try:
            expires_in = int(json.loads(body or b"{}").get("expiresIn"))
        except (TypeError, ValueError, AttributeError):
            raise storage_error("400", "Error", "body must have required property 'expiresIn'") from None
        if expires_in < 1:
            raise storage_error("400", "Error", "body/expiresIn must be >= 1")
        self._existing(bucket, name)
        token = self.fake._sign_token(bucket, name, expires_in)
        return 200, {"signedURL": f"/object/sign/{quote(bucket)}/{quote(name)}?token={token}"}, {}

    def _download_signed(self, bucket: str, name: str, token: str) -> tuple[int, Any, dict]:
        if not token:
            raise storage_error("400", "Error", "querystring must have required property 'token'")
        claims = self.fake._check_token(token, bucket, name)
        return self._serve(self._existing(bucket, name), expires=claims["exp"])

    def _download_public(self, bucket: str, name: str) -> tuple[int, Any, dict]:
        if not self._bucket(bucket).public:
            raise bucket_not_found()
        return self._serve(self._existing(bucket, name))

    def _download(self, bucket: str, name: str) -> tuple[int, Any, dict]:
        return self._serve(self._existing(bucket, name))

    @staticmethod
    def _serve(stored: StoredFile, *, expires: float | None = None) -> tuple[int, Any, dict]:
        """The object; a signed GET says when its token expires instead of how long to cache."""
        headers = {
            "Content-Type": stored.content_type,
            "ETag": stored.etag,
            "Last-Modified": formatdate(stored.last_modified, usegmt=True),
        }
        if expires is None:
            headers["Cache-Control"] = stored.cache_control
        else:
            headers["Expires"] = formatdate(expires, usegmt=True)
        return 200, stored.data, headers

    def _delete(self, bucket: str, body: bytes) -> tuple[int, Any, dict]:
        self._bucket(bucket)
        try:
            prefixes = json.loads(body or b"{}")["prefixes"]
        except (ValueError, KeyError, TypeError):
            raise storage_error("400", "Error", "body must have required property 'prefixes'") from None
        deleted = []
        if self.role != SERVICE_ROLE:
            return 200, deleted, {}  # RLS lets other roles see no rows to delete
        with self.fake._lock:
            for name in prefixes:
                stored = self.fake.objects.pop((bucket, name), None)
                if stored is not None:
                    deleted.append({"bucket_id": bucket, "name": name, "id": stored.id})
        return 200, deleted, {}

    # -- TUS resumable uploads ------------------------------------------------------------------

    def _tus_route(self, upload_id: str, body: bytes, rec: Recorded) -> tuple[int, Any, dict]:
        tus = {"Tus-Resumable": "1.0.0"}
        try:
            self._role(header_schema=False)
        except Reply as reply:  # bad auth on TUS: HTTP 400 and JSON, unlike every other TUS error
            message = reply.body["message"]
            raise Reply(400, {"statusCode": "403", "code": "AccessDenied", "error": "Unauthorized",
                              "message": message}, tus) from None  # fmt: skip
        try:
            return self._tus(upload_id, body, rec, tus)
        except Reply as reply:
            if isinstance(reply.body, dict) and "statusCode" in reply.body:  # storage errors: true status, text
                raise tus_error(int(reply.body["statusCode"]), reply.body["message"]) from None
            raise

    def _tus(self, upload_id: str, body: bytes, rec: Recorded, tus: dict[str, str]) -> tuple[int, Any, dict]:
        method = self.command
        if self.headers.get("tus-resumable") != "1.0.0":
            raise tus_error(412, "Unsupported version\n")
        if method == "POST" and not upload_id:
            return self._tus_create(body, rec, tus)
        upload = self.fake.uploads.get(upload_id)
        if upload is None:
            raise tus_error(404, "The file for this url was not found\n")
        if method == "HEAD":
            return 200, b"", {**tus, "Upload-Offset": str(len(upload.data)),
                              "Upload-Length": str(upload.length), "Cache-Control": "no-store"}  # fmt: skip
        self._bucket(upload.bucket, write=True)
        if method == "PATCH":
            return self._tus_patch(upload, body, tus)
        if method == "DELETE":
            self.fake.uploads.pop(upload_id, None)
            return 204, b"", tus
        raise tus_error(405, "Method not allowed\n")

    def _tus_create(self, body: bytes, rec: Recorded, tus: dict[str, str]) -> tuple[int, Any, dict]:
        metadata = _parse_tus_metadata(self.headers.get("upload-metadata", ""))
        rec.tus_metadata = metadata
        rec.cache_control = metadata.get("cacheControl")
        try:
            length = int(self.headers["upload-length"])
        except (KeyError, ValueError):
            raise tus_error(400, "Upload-Length or Upload-Defer-Length header required\n") from None
        for key in ("bucketName", "objectName"):
            if not metadata.get(key):
                raise storage_error("400", "InvalidRequest", f"metadata {key} is required")
        bucket_name, name = metadata["bucketName"], metadata["objectName"]
        bucket = self._bucket(bucket_name, write=True)
        if length > self._limit(bucket):
            raise tus_error(413, "Maximum size exceeded\n")
        content_type = metadata.get("contentType", "application/octet-stream")
        if not bucket.allows(content_type):
            raise tus_error(415, f"mime type {content_type} is not supported")
        upsert = self._upsert()
        if (bucket_name, name) in self.fake.objects and not upsert:
            raise tus_error(409, "The resource already exists")
        upload_id = fake_jwt.b64url(f"{bucket_name}/{name}/{uuid.uuid4()}".encode())
        upload = TusUpload(bucket_name, name, length, content_type, metadata.get("cacheControl", "3600"), upsert)
        self.fake.uploads[upload_id] = upload
        headers = {**tus, "Location": f"{self._tus_base()}/{upload_id}"}
        with_upload = self.headers.get("content-type") == "application/offset+octet-stream"  # creation-with-upload
        if length == 0 or (body and with_upload):  # an empty upload is complete on creation
            headers.update(self._tus_append(upload, 0, body if with_upload else b"", tus)[2])
        return 201, b"", headers

    def _tus_base(self) -> str:
        """Where uploads live, as the client reaches them: through the proxy's X-Forwarded-* if any."""
        host = self.headers.get("x-forwarded-host")
        if host is None:
            host = self.fake.url.split("://", 1)[1]
        else:
            port = self.headers.get("x-forwarded-port")
            if port and port not in ("80", "443"):
                host = re.sub(r":\d+$", "", host) + f":{port}"
        proto = self.headers.get("x-forwarded-proto")
        proto = proto if proto in ("http", "https") else "http"
        prefix = self.headers.get("x-forwarded-prefix", "/storage/v1").rstrip("/")
        return f"{proto}://{host}{prefix}/upload/resumable"

    def _tus_patch(self, upload: TusUpload, body: bytes, tus: dict) -> tuple[int, Any, dict]:
        if self.headers.get("content-type") != "application/offset+octet-stream":
            raise tus_error(403, "Content-Type header required\n")
        try:
            offset = int(self.headers["upload-offset"])
        except (KeyError, ValueError):
            raise tus_error(403, "Upload-Offset header required\n") from None
        return self._tus_append(upload, offset, body, tus)

    def _tus_append(self, upload: TusUpload, offset: int, body: bytes, tus: dict) -> tuple[int, Any, dict]:
        """Chunks of any size; the object is published when the last byte arrives."""
        if offset != len(upload.data):
            raise tus_error(409, "Upload-Offset conflict\n")
        end = offset + len(body)
        if end > upload.length:
            raise tus_error(413, "upload's size exceeded\n")
        upload.data.extend(body)
        if end == upload.length and not upload.finished:
            upload.finished = True
            self._store(
                upload.bucket, upload.name, bytes(upload.data), upload.content_type,
                upload.cache_control, upload.upsert, "resumable",
            )  # fmt: skip
        return 204, b"", {**tus, "Upload-Offset": str(end)}

    # -- wire helpers ---------------------------------------------------------------------------

    def _read_body(self, limit: int | None = None) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            data = b"".join(self._chunks())
            return data if limit is None else data[:limit]
        length = int(self.headers.get("content-length") or 0)
        want = length if limit is None else min(limit, length)
        return self.rfile.read(want) if want else b""

    def _chunks(self) -> Iterator[bytes]:
        while True:
            size = int(self.rfile.readline().split(b";")[0].strip(), 16)
            if size == 0:
                self.rfile.readline()
                return
            yield self.rfile.read(size)
            self.rfile.readline()

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        headers = dict(headers or {})
        if isinstance(payload, (dict, list)):
            data = json.dumps(payload).encode()
            headers.setdefault("Content-Type", "application/json")
        else:
            data = payload or b""
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)
        except OSError:
            self.close_connection = True  # the client went away (timed out)

    def _reset(self) -> None:
        """Abort the connection with a TCP reset: no answer, unread bytes dropped."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


@contextmanager
def running(**options: Any) -> Iterator[FakeSupabase]:
    fake = FakeSupabase(**options).start()
    try:
        yield fake
    finally:
        fake.stop()


def _split(target: str) -> tuple[str, str]:
    bucket, _, name = target.partition("/")
    if not bucket or not name:
        raise storage_error("400", "InvalidKey", f"Invalid key: {target}")
    return bucket, name


def _param(header: str, name: str) -> str | None:
    message = Message()
    message["content-type"] = header
    value = message.get_param(name)
    return value if isinstance(value, str) else None


def _parse_multipart(body: bytes, content_type: str) -> dict[str, tuple[dict[str, str], bytes]]:
    """Parts by form name: (lower-case headers, exact bytes). Binary-safe, unlike email.parser."""
    boundary = _param(content_type, "boundary")
    if not boundary:
        raise storage_error("400", "InvalidRequest", "multipart boundary missing")
    fields: dict[str, tuple[dict[str, str], bytes]] = {}
    for part in body.split(b"--" + boundary.encode())[1:]:
        if part.startswith(b"--"):
            break
        head, _, data = part[2:].partition(b"\r\n\r\n")
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        name = _param(headers.get("content-disposition", ""), "name")
        if name:
            fields[name] = (headers, data[:-2] if data.endswith(b"\r\n") else data)
    return fields


def _parse_tus_metadata(header: str) -> dict[str, str]:
    metadata = {}
    for pair in filter(None, (p.strip() for p in header.split(","))):
        key, _, value = pair.partition(" ")
        metadata[key] = base64.b64decode(value).decode() if value else ""
    return metadata
