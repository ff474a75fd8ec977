"""The fake Supabase Storage server behaves as the real storage-api v1.26.5 did (FACTS §7).

Raw HTTP (httpx) against tests/fake_supabase.py, never through the worker's storage code: these
tests pin the wire behaviour the worker's own tests rely on.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Iterator
from email.utils import formatdate, parsedate_to_datetime
from typing import Any

import httpx
import pytest

from fake_supabase import MB, TUS_MAX_SIZE, Bucket, FakeSupabase, running

USER = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
THUMB = ("video-thumbnails", f"{USER}/videos/v1/thumbnail.jpg")
VIDEO = ("videos-final", f"{USER}/videos/v1/video.mp4")
JPEG = b"\xff\xd8\xff\xe0" + b"thumbnail" * 10
TUS = "/storage/v1/upload/resumable"
BUCKET_NOT_FOUND = {"statusCode": "404", "error": "Bucket not found", "message": "Bucket not found"}
OTHER_SECRET = "a-secret-that-is-not-the-fakes-own-0123456789"


@pytest.fixture
def fake() -> Iterator[FakeSupabase]:
    with running() as server:
        yield server


@pytest.fixture
def http(fake: FakeSupabase) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.url, timeout=10) as client:
        yield client


def auth(fake: FakeSupabase, key: str | None = None, apikey: str | None = None) -> dict[str, str]:
    return {"apikey": apikey or fake.service_key, "Authorization": f"Bearer {key or fake.service_key}"}


def upload(http: httpx.Client, fake: FakeSupabase, bucket: str, name: str, data: bytes, content_type: str,
           *, upsert: bool = False, headers: dict[str, str] | None = None) -> httpx.Response:  # fmt: skip
    """A standard upload as storage3 sends it: multipart, cacheControl form field, x-upsert."""
    headers = {**auth(fake), **({"x-upsert": "true"} if upsert else {}), **(headers or {})}
    return http.post(
        f"/storage/v1/object/{bucket}/{name}",
        files={"file": (name.rsplit("/", 1)[-1], data, content_type)},
        data={"cacheControl": "3600"},
        headers=headers,
    )


def tus_metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def tus_create_headers(fake: FakeSupabase, bucket: str, name: str, length: int, content_type: str) -> dict[str, str]:
    metadata = tus_metadata(bucketName=bucket, objectName=name, contentType=content_type, cacheControl="3600")
    return {**auth(fake), "Tus-Resumable": "1.0.0", "Upload-Length": str(length), "Upload-Metadata": metadata}


def tus_create(http: httpx.Client, fake: FakeSupabase, bucket: str, name: str, length: int, content_type: str,
               *, headers: dict[str, str] | None = None) -> httpx.Response:  # fmt: skip
    return http.post(TUS, headers={**tus_create_headers(fake, bucket, name, length, content_type), **(headers or {})})


def tus_patch(http: httpx.Client, fake: FakeSupabase, location: str, offset: int, chunk: bytes,
              **options: Any) -> httpx.Response:  # fmt: skip
    headers = {**auth(fake), "Tus-Resumable": "1.0.0", "Upload-Offset": str(offset),
               "Content-Type": "application/offset+octet-stream"}  # fmt: skip
    return http.patch(location, content=chunk, headers=headers, **options)


def tus_offset(http: httpx.Client, fake: FakeSupabase, location: str) -> int:
    response = http.head(location, headers={**auth(fake), "Tus-Resumable": "1.0.0"})
    assert response.status_code == 200
    return int(response.headers["upload-offset"])


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_parts(token: str) -> tuple[dict, dict]:
    header, claims, _ = token.split(".")
    return json.loads(unb64url(header)), json.loads(unb64url(claims))


def hs256_valid(token: str, secret: str) -> bool:
    """Checked independently of the fake's own JWT code."""
    signing_input, _, signature = token.rpartition(".")
    expected = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return hmac.compare_digest(unb64url(signature), expected)


def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    """Poll until `condition` holds; a bound against hangs, not a timed assertion."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition never held"
        time.sleep(0.02)


# -- TUS: errors, chunks, OPTIONS, Location -------------------------------------------------------


@pytest.mark.parametrize(
    ("bucket", "length", "content_type", "status", "text"),
    [
        ("no-such-bucket", 10, "video/mp4", 404, "Bucket not found"),
        ("videos-final", 100 * MB + 1, "video/mp4", 413, "Maximum size exceeded\n"),
        ("system-assets", TUS_MAX_SIZE + 1, "video/mp4", 413, "Maximum size exceeded\n"),  # the server's limit
        ("videos-final", 10, "text/plain", 415, "mime type text/plain is not supported"),
    ],
)
def test_tus_create_errors_carry_their_true_status_with_a_text_body(
    fake: FakeSupabase, http: httpx.Client, bucket: str, length: int, content_type: str, status: int, text: str
):
    response = tus_create(http, fake, bucket, f"{USER}/a.mp4", length, content_type)
    assert response.status_code == status
    assert response.headers["content-type"] == "text/plain"
    assert response.text == text
    assert response.headers["tus-resumable"] == "1.0.0"
    assert fake.uploads == {}


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        ("wrong-secret", "signature verification failed"),
        ("Bearer not-a-jwt", "Invalid Compact JWS"),
        (None, "Invalid Compact JWS"),  # no header: the empty token does not parse
    ],
)
def test_bad_auth_on_tus_is_http_400_with_json_access_denied(
    fake: FakeSupabase, http: httpx.Client, authorization: str | None, message: str
):
    headers = {"Tus-Resumable": "1.0.0", "Upload-Length": "10", "apikey": fake.service_key,
               "Upload-Metadata": tus_metadata(bucketName=VIDEO[0], objectName=VIDEO[1])}  # fmt: skip
    if authorization == "wrong-secret":
        headers["Authorization"] = f"Bearer {fake.key('service_role', secret=OTHER_SECRET)}"
    elif authorization is not None:
        headers["Authorization"] = authorization
    response = http.post(TUS, headers=headers)
    assert response.status_code == 400
    assert response.json() == {"statusCode": "403", "code": "AccessDenied", "error": "Unauthorized", "message": message}


def test_tus_accepts_patches_of_any_size_and_publishes_on_the_last_byte(fake: FakeSupabase, http: httpx.Client):
    data = b"0123456789"
    location = tus_create(http, fake, *VIDEO, len(data), "video/mp4").headers["location"]
    for offset, chunk in ((0, data[:3]), (3, data[3:4]), (4, data[4:])):
        assert not fake.objects
        response = tus_patch(http, fake, location, offset, chunk)
        assert response.status_code == 204
        assert response.headers["upload-offset"] == str(offset + len(chunk))
    assert fake.objects[VIDEO].data == data
    assert fake.objects[VIDEO].via == "resumable"
    assert tus_offset(http, fake, location) == len(data)  # a finished upload still answers HEAD


def test_tus_creation_with_upload_and_an_empty_upload_complete_at_once(fake: FakeSupabase, http: httpx.Client):
    with_body = {"Content-Type": "application/offset+octet-stream"}
    created = http.post(TUS, content=b"abc", headers={**tus_create_headers(fake, *VIDEO, 3, "video/mp4"), **with_body})
    assert (created.status_code, created.headers["upload-offset"]) == (201, "3")
    assert fake.objects[VIDEO].data == b"abc"
    assert tus_create(http, fake, THUMB[0], THUMB[1], 0, "image/jpeg").status_code == 201
    assert fake.objects[THUMB].data == b""


def test_tus_options_advertise_the_servers_extensions_and_size(http: httpx.Client):
    response = http.options(TUS)  # a preflight: no key needed
    assert response.status_code == 204
    assert response.headers["tus-extension"] == (
        "creation,creation-with-upload,creation-defer-length,termination,expiration"
    )
    assert response.headers["tus-max-size"] == "524288000" == str(TUS_MAX_SIZE)
    assert response.headers["tus-version"] == "1.0.0"
    assert response.headers["tus-resumable"] == "1.0.0"


def test_tus_location_is_absolute_and_names_bucket_object_and_version(fake: FakeSupabase, http: httpx.Client):
    response = tus_create(http, fake, *VIDEO, 10, "video/mp4")
    assert response.status_code == 201
    base, _, upload_id = response.headers["location"].rpartition("/")
    assert base == f"{fake.url}/storage/v1/upload/resumable"
    assert "=" not in upload_id  # base64url without padding, as Node's Buffer writes it
    key, _, version = unb64url(upload_id).decode().rpartition("/")
    assert key == f"{VIDEO[0]}/{VIDEO[1]}"
    assert uuid.UUID(version)
    assert list(fake.uploads) == [upload_id]


@pytest.mark.parametrize(
    ("forwarded", "base"),
    [
        ({"X-Forwarded-Host": "abc.supabase.co", "X-Forwarded-Proto": "https", "X-Forwarded-Port": "443",
          "X-Forwarded-Prefix": "/storage/v1"}, "https://abc.supabase.co/storage/v1/upload/resumable"),
        ({"X-Forwarded-Host": "proxy.local", "X-Forwarded-Port": "8000", "X-Forwarded-Prefix": "/storage/v1/"},
         "http://proxy.local:8000/storage/v1/upload/resumable"),
        ({"X-Forwarded-Host": "proxy.local:8000", "X-Forwarded-Port": "9000"},
         "http://proxy.local:9000/storage/v1/upload/resumable"),
        ({"X-Forwarded-Host": "proxy.local", "X-Forwarded-Prefix": "/files"}, "http://proxy.local/files/upload/resumable"),
    ],
)  # fmt: skip
def test_tus_location_follows_the_forwarded_host_port_and_prefix(
    fake: FakeSupabase, http: httpx.Client, forwarded: dict[str, str], base: str
):
    location = tus_create(http, fake, *VIDEO, 10, "video/mp4", headers=forwarded).headers["location"]
    assert location.rpartition("/")[0] == base


def test_a_patch_abandoned_by_its_client_still_completes_and_the_stale_retry_gets_409(
    fake: FakeSupabase, http: httpx.Client
):
    data = b"0123456789"
    location = tus_create(http, fake, *VIDEO, len(data), "video/mp4").headers["location"]
    upload = next(iter(fake.uploads.values()))
    fake.inject("delay", method="PATCH", seconds=0.6)
    with pytest.raises(httpx.ReadTimeout):
        tus_patch(http, fake, location, 0, data[:4], timeout=httpx.Timeout(10, read=0.1))
    wait_for(lambda: len(upload.data) == 4)  # the server went on without its client

    retry = tus_patch(http, fake, location, 0, data[:4])
    assert retry.status_code == 409
    assert retry.text == "Upload-Offset conflict\n"
    assert tus_offset(http, fake, location) == 4
    assert tus_patch(http, fake, location, 4, data[4:]).status_code == 204
    assert fake.objects[VIDEO].data == data


def test_requests_to_an_upload_wait_for_a_delayed_patch_to_finish(fake: FakeSupabase, http: httpx.Client):
    location = tus_create(http, fake, *VIDEO, 10, "video/mp4").headers["location"]
    fake.inject("delay", method="PATCH", seconds=0.6)
    with pytest.raises(httpx.ReadTimeout):
        tus_patch(http, fake, location, 0, b"0123", timeout=httpx.Timeout(10, read=0.1))
    wait_for(lambda: len(fake.seen("PATCH")) == 1)  # it holds the upload's lock from here on
    assert tus_offset(http, fake, location) == 4  # the HEAD queued behind it


# -- signed URLs and keys -------------------------------------------------------------------------


def test_signed_get_sends_expires_etag_last_modified_and_no_cache_control(fake: FakeSupabase, http: httpx.Client):
    assert upload(http, fake, *THUMB, JPEG, "image/jpeg").status_code == 200
    signed = http.post(f"/storage/v1/object/sign/{THUMB[0]}/{THUMB[1]}", json={"expiresIn": 60}, headers=auth(fake))
    url = signed.json()["signedURL"]
    token = url.split("token=", 1)[1]

    header, claims = jwt_parts(token)
    assert header["alg"] == "HS256"
    assert set(claims) == {"url", "iat", "exp"}
    assert claims["url"] == f"{THUMB[0]}/{THUMB[1]}" and claims["exp"] - claims["iat"] == 60
    assert hs256_valid(token, fake.jwt_secret)

    response = httpx.get(f"{fake.url}/storage/v1{url}")  # no apikey, no Authorization
    assert response.status_code == 200 and response.content == JPEG
    assert response.headers["expires"] == formatdate(claims["exp"], usegmt=True)
    assert response.headers["etag"] == f'"{hashlib.md5(JPEG).hexdigest()}"'
    assert parsedate_to_datetime(response.headers["last-modified"])
    assert "cache-control" not in response.headers

    authenticated = http.get(f"/storage/v1/object/{THUMB[0]}/{THUMB[1]}", headers=auth(fake))
    assert authenticated.content == JPEG
    assert authenticated.headers["cache-control"] == "max-age=3600"


def test_a_signed_token_with_a_forged_signature_is_refused(fake: FakeSupabase, http: httpx.Client):
    fake.put_object(*THUMB, JPEG, "image/jpeg")
    url = http.post(f"/storage/v1/object/sign/{THUMB[0]}/{THUMB[1]}", json={"expiresIn": 60}, headers=auth(fake))
    token = url.json()["signedURL"].split("token=", 1)[1]
    header, _, signature = token.split(".")
    longer = base64.urlsafe_b64encode(json.dumps({**jwt_parts(token)[1], "exp": 2**40}).encode()).rstrip(b"=")
    for forged in (f"{header}.{longer.decode()}.{signature}", "not-a-jwt"):
        response = httpx.get(f"{fake.url}/storage/v1/object/sign/{THUMB[0]}/{THUMB[1]}", params={"token": forged})
        assert response.status_code == 400
        assert response.json()["statusCode"] == "400" and response.json()["error"] == "InvalidJWT"


def test_keys_are_hs256_jwts_carrying_their_role(fake: FakeSupabase):
    for key, role in ((fake.service_key, "service_role"), (fake.key("anon"), "anon")):
        header, claims = jwt_parts(key)
        assert header["alg"] == "HS256" and hs256_valid(key, fake.jwt_secret)
        assert claims["role"] == role and claims["iss"] == "supabase"
        assert claims["iat"] < claims["exp"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/storage/v1/bucket/videos-final", None),
        ("POST", f"/storage/v1/object/sign/{THUMB[0]}/{THUMB[1]}", {"expiresIn": 60}),
        ("GET", f"/storage/v1/object/{THUMB[0]}/{THUMB[1]}", None),
        ("GET", f"/storage/v1/object/authenticated/{THUMB[0]}/{THUMB[1]}", None),
    ],
)
def test_a_key_without_the_service_role_sees_no_private_bucket(
    fake: FakeSupabase, http: httpx.Client, method: str, path: str, body: Any
):
    fake.put_object(*THUMB, JPEG, "image/jpeg")
    anon = fake.key("anon")
    response = http.request(method, path, json=body, headers=auth(fake, key=anon, apikey=anon))
    assert response.status_code == 400
    assert response.json() == BUCKET_NOT_FOUND


def test_a_key_without_the_service_role_cannot_upload_to_a_private_bucket(fake: FakeSupabase, http: httpx.Client):
    anon = fake.key("anon")
    response = upload(http, fake, *THUMB, JPEG, "image/jpeg", headers=auth(fake, key=anon, apikey=anon))
    assert (response.status_code, response.json()) == (400, BUCKET_NOT_FOUND)
    created = tus_create(http, fake, *VIDEO, 10, "video/mp4", headers=auth(fake, key=anon, apikey=anon))
    assert (created.status_code, created.text) == (404, "Bucket not found")
    assert fake.objects == {} and fake.uploads == {}


def test_a_key_without_the_service_role_reads_a_public_bucket_but_cannot_write_it(
    fake: FakeSupabase, http: httpx.Client
):
    # Modelled on row-level security with read-only policies (not observed on the real server).
    anon = fake.key("anon")
    headers = auth(fake, key=anon, apikey=anon)
    assert http.get("/storage/v1/bucket/system-assets", headers=headers).json()["public"] is True
    refused = upload(http, fake, "system-assets", "a.png", b"png", "image/png", headers=headers)
    assert refused.json() == {"statusCode": "403", "error": "Unauthorized",
                              "message": "new row violates row-level security policy"}  # fmt: skip
    assert fake.objects == {}


@pytest.mark.parametrize(
    ("authorization", "body"),
    [
        ("wrong-secret", {"statusCode": "403", "error": "Unauthorized", "message": "signature verification failed"}),
        ("Bearer sb-not-a-jwt", {"statusCode": "403", "error": "Unauthorized", "message": "Invalid Compact JWS"}),
        (None, {"statusCode": "400", "error": "Error",
                "message": "headers must have required property 'authorization'"}),
    ],
)  # fmt: skip
def test_storage_api_refuses_a_bad_bearer_whatever_the_apikey(
    fake: FakeSupabase, http: httpx.Client, authorization: str | None, body: dict
):
    headers = {"apikey": fake.service_key}  # the gateway is satisfied; storage-api checks the bearer
    if authorization == "wrong-secret":
        headers["Authorization"] = f"Bearer {fake.key('service_role', secret=OTHER_SECRET)}"
    elif authorization is not None:
        headers["Authorization"] = authorization
    response = http.get("/storage/v1/bucket/videos-final", headers=headers)
    assert (response.status_code, response.json()) == (400, body)


def test_a_plain_service_key_given_to_the_constructor_is_accepted_as_it_is():
    with running(service_key="plain-service-key") as fake, httpx.Client(base_url=fake.url) as http:
        assert http.get("/storage/v1/bucket/videos-final", headers=auth(fake)).status_code == 200
        wrong = http.get("/storage/v1/bucket/videos-final", headers=auth(fake, key="plain-other", apikey="plain-other"))
        assert (wrong.status_code, wrong.json()) == (401, {"message": "Invalid API key"})


# -- the gateway's apikey -------------------------------------------------------------------------


def test_the_gateway_wants_an_apikey_it_knows(fake: FakeSupabase, http: httpx.Client):
    bearer = {"Authorization": f"Bearer {fake.service_key}"}
    path = "/storage/v1/bucket/videos-final"
    missing = http.get(path, headers=bearer)
    assert (missing.status_code, missing.json()) == (401, {"message": "No API key found in request"})
    for unknown in ("sb-unknown", fake.key("anon", secret=OTHER_SECRET)):
        refused = http.get(path, headers={**bearer, "apikey": unknown})
        assert (refused.status_code, refused.json()) == (401, {"message": "Invalid API key"})
    assert http.get(path, headers={**bearer, "apikey": fake.key("anon")}).status_code == 200  # any key it minted


def test_without_the_gateway_the_apikey_is_ignored():
    with running(gateway=False) as fake, httpx.Client(base_url=fake.url) as http:
        bearer = {"Authorization": f"Bearer {fake.service_key}"}
        assert http.get("/storage/v1/bucket/videos-final", headers=bearer).status_code == 200
        assert http.get("/storage/v1/bucket/videos-final", headers={**bearer, "apikey": "junk"}).status_code == 200


# -- objects and buckets --------------------------------------------------------------------------


def test_upsert_keeps_the_object_id_and_bumps_its_version(fake: FakeSupabase, http: httpx.Client):
    first = upload(http, fake, *THUMB, JPEG, "image/jpeg").json()
    duplicate = upload(http, fake, *THUMB, JPEG, "image/jpeg")
    assert duplicate.status_code == 400 and duplicate.json()["statusCode"] == "409"

    second = upload(http, fake, *THUMB, JPEG + b"2", "image/jpeg", upsert=True).json()
    assert second == first == {"Key": f"{THUMB[0]}/{THUMB[1]}", "Id": fake.objects[THUMB].id}
    assert (fake.objects[THUMB].version, fake.objects[THUMB].data) == (2, JPEG + b"2")

    location = tus_create(http, fake, *THUMB, 3, "image/jpeg", headers={"x-upsert": "true"}).headers["location"]
    assert tus_patch(http, fake, location, 0, b"abc").status_code == 204
    assert (fake.objects[THUMB].id, fake.objects[THUMB].version) == (first["Id"], 3)


def test_a_bucket_is_deleted_only_when_empty(fake: FakeSupabase, http: httpx.Client):
    fake.put_object(*THUMB, JPEG, "image/jpeg")
    path = f"/storage/v1/bucket/{THUMB[0]}"
    full = http.delete(path, headers=auth(fake))
    assert (full.status_code, full.json()) == (
        400,
        {"statusCode": "409", "error": "InvalidRequest", "message": "The bucket you tried to delete is not empty"},
    )
    removed = http.request(
        "DELETE", f"/storage/v1/object/{THUMB[0]}", json={"prefixes": [THUMB[1]]}, headers=auth(fake)
    )
    assert [row["name"] for row in removed.json()] == [THUMB[1]]
    deleted = http.delete(path, headers=auth(fake))
    assert (deleted.status_code, deleted.json()) == (200, {"message": "Successfully deleted"})
    assert http.get(path, headers=auth(fake)).json() == BUCKET_NOT_FOUND


def test_bucket_info_reports_its_limits_and_uploads_obey_them():
    buckets = {"tiny": Bucket(1000, ("text/plain",)), "open": Bucket(None, None, public=True)}
    with running(buckets=buckets) as fake, httpx.Client(base_url=fake.url) as http:
        tiny = http.get("/storage/v1/bucket/tiny", headers=auth(fake)).json()
        assert (tiny["file_size_limit"], tiny["allowed_mime_types"], tiny["public"]) == (1000, ["text/plain"], False)
        unlimited = http.get("/storage/v1/bucket/open", headers=auth(fake)).json()
        assert (unlimited["file_size_limit"], unlimited["allowed_mime_types"], unlimited["public"]) == (
            None,
            None,
            True,
        )

        too_big = upload(http, fake, "tiny", "a.txt", b"x" * 1001, "text/plain")
        assert (too_big.status_code, too_big.json()["statusCode"]) == (400, "413")
        wrong_type = upload(http, fake, "tiny", "a.png", b"x" * 10, "image/png")
        assert (wrong_type.status_code, wrong_type.json()["statusCode"]) == (400, "415")
        assert upload(http, fake, "tiny", "a.txt", b"x" * 1000, "text/plain").status_code == 200

        assert tus_create(http, fake, "tiny", "b.txt", 1001, "text/plain").status_code == 413
        refused = tus_create(http, fake, "tiny", "b.png", 10, "image/png")
        assert (refused.status_code, refused.text) == (415, "mime type image/png is not supported")
        assert tus_create(http, fake, "tiny", "b.txt", 1000, "text/plain").status_code == 201
        assert tus_create(http, fake, "open", "c.bin", 10 * MB, "application/x-anything").status_code == 201


# -- outages --------------------------------------------------------------------------------------


def test_while_down_the_proxy_answers_502_with_html_to_everything(fake: FakeSupabase, http: httpx.Client):
    fake.put_object(*THUMB, JPEG, "image/jpeg")
    fake.down()
    for method, path in (("GET", "/storage/v1/bucket/videos-final"), ("POST", TUS),
                         ("GET", f"/storage/v1/object/public/{THUMB[0]}/{THUMB[1]}")):  # fmt: skip
        response = http.request(method, path, headers=auth(fake))
        assert response.status_code == 502
        assert response.headers["content-type"] == "text/html"
        assert response.text.startswith("<html><head><title>502 Bad Gateway</title></head>")
    assert [r.fault for r in fake.requests] == ["down"] * 3
    fake.up()
    assert http.get("/storage/v1/bucket/videos-final", headers=auth(fake)).status_code == 200


def test_a_tus_upload_survives_a_restart(fake: FakeSupabase, http: httpx.Client):
    data = b"0123456789"
    location = tus_create(http, fake, *VIDEO, len(data), "video/mp4").headers["location"]
    assert tus_patch(http, fake, location, 0, data[:4]).status_code == 204

    fake.restart(0.3)  # returns at once
    assert fake.is_down
    assert tus_patch(http, fake, location, 4, data[4:]).status_code == 502
    wait_for(lambda: not fake.is_down)
    assert tus_offset(http, fake, location) == 4
    assert tus_patch(http, fake, location, 4, data[4:]).status_code == 204
    assert fake.objects[VIDEO].data == data
