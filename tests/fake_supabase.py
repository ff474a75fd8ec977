"""A local Supabase Storage server: the wire protocol of FACTS §3, in memory, with fault injection.

It speaks what storage3 and tuspy send and answers as the storage API does: errors as HTTP 400
with a JSON body whose `statusCode` is a string (TUS answers use real HTTP statuses), `x-upsert`
semantics, per-bucket size and MIME limits, signed URLs whose tokens expire, and a TUS endpoint
that only publishes an object once every byte has arrived. Tests read `requests` (what arrived)
and `objects` (what is stored), and `inject` faults: error statuses, connection resets (also
part-way through a body), stalls past the client's timeout, and answers lost after the work.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import struct
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, quote, unquote, urlsplit

MB = 1024 * 1024
TUS_CHUNK = 6 * MB
IMAGES = ("image/png", "image/jpeg", "image/webp")
DEFAULT_KEY = "test-service-role-key"


@dataclass
class Bucket:
    max_bytes: int
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


@dataclass
class Recorded:
    """One request as it arrived (faulted ones too, with `fault` set)."""

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
    delay: read the body, wait `seconds`, then process and answer normally.
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


class FakeSupabase:
    def __init__(
        self,
        service_key: str = DEFAULT_KEY,
        *,
        buckets: dict[str, Bucket] | None = None,
        global_limit: int | None = None,
    ) -> None:
        self.service_key = service_key
        self.buckets = buckets if buckets is not None else platform_buckets()
        self.global_limit = global_limit  # the project's upload limit, below bucket limits
        self.objects: dict[tuple[str, str], StoredFile] = {}
        self.uploads: dict[str, TusUpload] = {}
        self.requests: list[Recorded] = []
        self.clock_offset = 0.0  # tests move time forward to expire signed URLs
        self._faults: list[Fault] = []
        self._secret = uuid.uuid4().bytes
        self._lock = threading.Lock()
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
            self.objects[(bucket, name)] = StoredFile(data, content_type, "max-age=3600", str(uuid.uuid4()), "standard")

    def now(self) -> float:
        return time.time() + self.clock_offset

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

    def _sign_token(self, bucket: str, name: str, expires_in: int) -> str:
        claims = json.dumps({"url": f"{bucket}/{name}", "exp": int(self.now()) + expires_in}).encode()
        body = base64.urlsafe_b64encode(claims).rstrip(b"=")
        mac = base64.urlsafe_b64encode(hmac.new(self._secret, body, hashlib.sha256).digest()).rstrip(b"=")
        return f"{body.decode()}.{mac.decode()}"

    def _check_token(self, token: str, bucket: str, name: str) -> None:
        body, _, mac = token.encode().partition(b".")
        expected = base64.urlsafe_b64encode(hmac.new(self._secret, body, hashlib.sha256).digest()).rstrip(b"=")
        if not hmac.compare_digest(mac, expected):
            raise storage_error("400", "InvalidJWT", "invalid signature")
        claims = json.loads(base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4)))
        if claims["exp"] <= self.now():
            raise storage_error("400", "InvalidJWT", "jwt expired")
        if claims["url"] != f"{bucket}/{name}":
            raise storage_error("400", "InvalidSignature", "The url do not match the signature")


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a stalled handler must not hold up stop()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out or reset mid-request are part of the tests


class _Handler(BaseHTTPRequestHandler):
    fake: FakeSupabase
    protocol_version = "HTTP/1.1"  # keep-alive, as clients pool connections

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
        self.fake._record(recorded)
        if fault is not None and fault.kind == "status":
            default = {"statusCode": str(fault.status), "error": "injected", "message": "injected failure"}
            self._send(fault.status, fault.body if fault.body is not None else default)
            return
        if fault is not None and fault.kind in ("stall", "delay"):
            self.fake._stopping.wait(fault.seconds)
            if fault.kind == "stall":
                self._reset()
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
        if route.startswith("object/sign/") and method == "GET":
            bucket, name = _split(route[len("object/sign/") :])
            return self._download_signed(bucket, name, query.get("token", ""))
        if route.startswith("object/public/") and method == "GET":
            bucket, name = _split(route[len("object/public/") :])
            return self._download_public(bucket, name)
        if route.startswith("upload/resumable"):
            try:
                self._authorize()
                return self._tus(route[len("upload/resumable") :].strip("/"), body, rec)
            except Reply as reply:
                # TUS answers carry real HTTP statuses; storage errors keep their JSON body.
                if isinstance(reply.body, dict) and "statusCode" in reply.body:
                    raise Reply(int(reply.body["statusCode"]), reply.body, {"Tus-Resumable": "1.0.0"}) from None
                raise
        self._authorize()
        if route.startswith("bucket/") and method == "GET":
            return self._bucket_info(route[len("bucket/") :].strip("/"))
        if route.startswith("object/sign/") and method == "POST":
            bucket, name = _split(route[len("object/sign/") :])
            return self._sign(bucket, name, body)
        if route.startswith("object/"):
            target = route[len("object/") :]
            if method == "DELETE" and "/" not in target.strip("/"):
                return self._delete(target.strip("/"), body)
            bucket, name = _split(target)
            if method in ("POST", "PUT"):
                return self._upload(bucket, name, body, rec, upsert=method == "PUT" or self._upsert())
            if method == "GET":
                return self._download(bucket, name)
        raise Reply(404, {"statusCode": "404", "error": "not_found", "message": "Route not found"})

    # -- auth -----------------------------------------------------------------------------------

    def _authorize(self) -> None:
        apikey = self.headers.get("apikey")
        if apikey is None:
            raise Reply(401, {"message": "No API key found in request"})  # the gateway's answer
        if apikey != self.fake.service_key:
            raise Reply(401, {"message": "Invalid API key"})
        authorization = self.headers.get("authorization")
        if authorization is None:
            raise storage_error("400", "Error", "headers must have required property 'authorization'")
        if authorization != f"Bearer {self.fake.service_key}":
            raise storage_error("403", "Unauthorized", "invalid signature")

    def _upsert(self) -> bool:
        return (self.headers.get("x-upsert") or "").lower() == "true"

    # -- objects --------------------------------------------------------------------------------

    def _bucket(self, name: str) -> Bucket:
        bucket = self.fake.buckets.get(name)
        if bucket is None:
            raise storage_error("404", "Bucket not found", "Bucket not found")
        return bucket

    def _bucket_info(self, name: str) -> tuple[int, Any, dict]:
        bucket = self._bucket(name)
        created = "2026-01-01T00:00:00.000Z"
        return 200, {
            "id": name, "name": name, "owner": "", "public": bucket.public, "type": "STANDARD",
            "file_size_limit": bucket.max_bytes, "allowed_mime_types": list(bucket.mime_types or []) or None,
            "created_at": created, "updated_at": created,
        }, {}  # fmt: skip

    def _check_limits(self, bucket: Bucket, size: int, content_type: str) -> None:
        limit = min(bucket.max_bytes, self.fake.global_limit or bucket.max_bytes)
        if size > limit:
            raise storage_error("413", "Payload too large", "The object exceeded the maximum allowed size")
        if not bucket.allows(content_type):
            raise storage_error("415", "invalid_mime_type", f"mime type {content_type} is not supported")

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
        bucket = self._bucket(bucket_name)
        self._check_limits(bucket, len(data), content_type)
        return 200, self._store(bucket_name, name, data, content_type, cache, upsert, "standard"), {}

    def _store(
        self, bucket: str, name: str, data: bytes, content_type: str, cache: str, upsert: bool, via: str
    ) -> dict[str, str]:
        with self.fake._lock:
            if (bucket, name) in self.fake.objects and not upsert:
                raise storage_error("409", "Duplicate", "The resource already exists")
            object_id = str(uuid.uuid4())
            cache_control = f"max-age={cache}" if cache.isdigit() else cache
            self.fake.objects[(bucket, name)] = StoredFile(data, content_type, cache_control, object_id, via)  # type: ignore[arg-type]
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
        except (TypeError, ValueError):
            raise storage_error("400", "Error", "body must have required property 'expiresIn'") from None
        if expires_in < 1:
            raise storage_error("400", "Error", "body/expiresIn must be >= 1")
        self._existing(bucket, name)
        token = self.fake._sign_token(bucket, name, expires_in)
        return 200, {"signedURL": f"/object/sign/{quote(bucket)}/{quote(name)}?token={token}"}, {}

    def _download_signed(self, bucket: str, name: str, token: str) -> tuple[int, Any, dict]:
        if not token:
            raise storage_error("400", "Error", "querystring must have required property 'token'")
        self.fake._check_token(token, bucket, name)
        return self._serve(self._existing(bucket, name))

    def _download_public(self, bucket: str, name: str) -> tuple[int, Any, dict]:
        if not self._bucket(bucket).public:
            raise storage_error("404", "Bucket not found", "Bucket not found")
        return self._serve(self._existing(bucket, name))

    def _download(self, bucket: str, name: str) -> tuple[int, Any, dict]:
        return self._serve(self._existing(bucket, name))

    @staticmethod
    def _serve(stored: StoredFile) -> tuple[int, Any, dict]:
        return 200, stored.data, {"Content-Type": stored.content_type, "Cache-Control": stored.cache_control}

    def _delete(self, bucket: str, body: bytes) -> tuple[int, Any, dict]:
        self._bucket(bucket)
        try:
            prefixes = json.loads(body)["prefixes"]
        except (ValueError, KeyError, TypeError):
            raise storage_error("400", "Error", "body must have required property 'prefixes'") from None
        deleted = []
        with self.fake._lock:
            for name in prefixes:
                stored = self.fake.objects.pop((bucket, name), None)
                if stored is not None:
                    deleted.append({"bucket_id": bucket, "name": name, "id": stored.id})
        return 200, deleted, {}

    # -- TUS resumable uploads ------------------------------------------------------------------

    def _tus(self, upload_id: str, body: bytes, rec: Recorded) -> tuple[int, Any, dict]:
        tus = {"Tus-Resumable": "1.0.0"}
        method = self.command
        if method == "OPTIONS":
            return 204, b"", {**tus, "Tus-Version": "1.0.0", "Tus-Extension": "creation,termination"}
        if self.headers.get("tus-resumable") != "1.0.0":
            raise Reply(412, b"Tus-Resumable header missing", tus)
        if method == "POST" and not upload_id:
            return self._tus_create(rec, tus)
        upload = self.fake.uploads.get(upload_id)
        if upload is None:
            raise Reply(404, b"Upload not found", tus)
        if method == "HEAD":
            return 200, b"", {**tus, "Upload-Offset": str(len(upload.data)),
                              "Upload-Length": str(upload.length), "Cache-Control": "no-store"}  # fmt: skip
        if method == "PATCH":
            return self._tus_patch(upload_id, upload, body, tus)
        if method == "DELETE":
            self.fake.uploads.pop(upload_id, None)
            return 204, b"", tus
        raise Reply(405, b"Method not allowed", tus)

    def _tus_create(self, rec: Recorded, tus: dict[str, str]) -> tuple[int, Any, dict]:
        metadata = _parse_tus_metadata(self.headers.get("upload-metadata", ""))
        rec.tus_metadata = metadata
        rec.cache_control = metadata.get("cacheControl")
        try:
            length = int(self.headers["upload-length"])
        except (KeyError, ValueError):
            raise storage_error("400", "InvalidRequest", "Upload-Length header required") from None
        for key in ("bucketName", "objectName"):
            if not metadata.get(key):
                raise storage_error("400", "InvalidRequest", f"metadata {key} is required")
        bucket_name, name = metadata["bucketName"], metadata["objectName"]
        content_type = metadata.get("contentType", "application/octet-stream")
        self._check_limits(self._bucket(bucket_name), length, content_type)
        upsert = self._upsert()
        if (bucket_name, name) in self.fake.objects and not upsert:
            raise storage_error("409", "Duplicate", "The resource already exists")
        upload_id = uuid.uuid4().hex
        self.fake.uploads[upload_id] = TusUpload(
            bucket_name, name, length, content_type, metadata.get("cacheControl", "3600"), upsert
        )
        return 201, b"", {**tus, "Location": f"{self.fake.url}/storage/v1/upload/resumable/{upload_id}"}

    def _tus_patch(self, upload_id: str, upload: TusUpload, body: bytes, tus: dict) -> tuple[int, Any, dict]:
        if self.headers.get("content-type") != "application/offset+octet-stream":
            raise Reply(415, b"Content-Type must be application/offset+octet-stream", tus)
        offset = int(self.headers.get("upload-offset", "-1"))
        if offset != len(upload.data):
            raise Reply(409, f"Upload-Offset {offset} does not match {len(upload.data)}".encode(), tus)
        end = offset + len(body)
        if end > upload.length:
            raise storage_error("413", "Payload too large", "The object exceeded the announced length")
        if end < upload.length and len(body) != TUS_CHUNK:
            # Supabase documents 6 MB chunks as required; hold clients to it.
            raise storage_error("400", "InvalidChunkSize", f"chunks must be {TUS_CHUNK} bytes, got {len(body)}")
        upload.data.extend(body)
        if end == upload.length:
            self.fake.uploads.pop(upload_id, None)
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
