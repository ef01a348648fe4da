"""The field app as a server answers it: the page, its digest-named files, the worker, and their headers."""

import re

import pytest
from litestar.testing import AsyncTestClient

from service.app import create_app
from service.config import load_settings
from service.field.assets import FieldAssets
from tests.conftest import make_settings


def _files(page: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/app/[^"]+)"', page)


async def test_page_is_revalidated_with_a_strict_policy(client: AsyncTestClient) -> None:
    response = await client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache" and response.headers["etag"]
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy and "http" not in policy
    assert "<script>" not in response.text and " style=" not in response.text  # nothing inline for the policy to allow
    again = await client.get("/", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


async def test_files_are_named_by_their_digest_and_cached_for_a_year(client: AsyncTestClient) -> None:
    page = (await client.get("/")).text
    build = re.search(r'data-build="([0-9a-f]+)"', page)
    assert build is not None
    files = _files(page)
    assert any(name.endswith("/js/main.js") for name in files) and any(name.endswith("/app.css") for name in files)
    for name in files:
        response = await client.get(name)
        assert response.status_code == 200, name
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert f"/app/{build[1]}/" in name
    script = await client.get(next(name for name in files if name.endswith(".js")))
    assert script.headers["content-type"] == "text/javascript; charset=utf-8"


async def test_another_builds_files_are_gone_as_a_problem(client: AsyncTestClient) -> None:
    page = (await client.get("/")).text
    base = re.search(r'data-base="([^"]+)"', page)
    assert base is not None
    assert (await client.get(base[1] + "app.css")).status_code == 200
    for path in ("/app/000000000000/app.css", base[1] + "no-such-file.js", base[1] + "index.html", base[1] + "sw.js"):
        response = await client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"


async def test_worker_lists_this_builds_shell(client: AsyncTestClient) -> None:
    page = (await client.get("/")).text
    worker = await client.get("/sw.js")
    assert worker.status_code == 200 and worker.headers["cache-control"] == "no-cache"
    assert worker.headers["content-type"] == "text/javascript; charset=utf-8"
    for name in _files(page):
        assert f'"{name}"' in worker.text
    assert '"/"' in worker.text and "{{" not in worker.text
    manifest = (await client.get("/manifest.webmanifest")).json()
    assert manifest["start_url"] == "/" and manifest["icons"][0]["src"].startswith("/app/")


async def test_digest_changes_with_any_file(tmp_path) -> None:
    for name in ("index.html", "sw.js", "manifest.webmanifest"):
        (tmp_path / name).write_bytes(b"{{base}} {{languages}}")
    (tmp_path / "js" / "i18n").mkdir(parents=True)
    for name in ("app.css", "js/i18n/en.js", "js/i18n/fr.js"):
        (tmp_path / name).write_bytes(b"/* */")
    first = FieldAssets(tmp_path)
    assert first.page.decode() == f"{first.base} en,fr"
    (tmp_path / "app.css").write_bytes(b"body { color: red }")
    second = FieldAssets(tmp_path)
    assert first.build != second.build and second.base in second.page.decode()
    assert first.page != second.page


async def test_the_page_and_its_files_do_not_use_the_callers_quota(db_url: str) -> None:
    async with AsyncTestClient(app=create_app(make_settings(db_url, rate_limit_anonymous=2))) as client:
        page = (await client.get("/")).text
        for _ in range(3):
            for path in ["/", "/sw.js", "/manifest.webmanifest", *_files(page)]:
                assert (await client.get(path)).status_code == 200, path
        assert (await client.get("/v1/categories")).status_code == 200


async def test_the_app_is_not_part_of_the_api_contract(client: AsyncTestClient) -> None:
    document = (await client.get("/docs/openapi.json")).json()
    paths = list(document["paths"])
    assert "/v1/resources" in paths
    assert not [path for path in paths if path in ("/", "/sw.js", "/manifest.webmanifest") or path.startswith("/app/")]


async def test_a_tile_url_must_be_a_safe_template(db_url: str) -> None:
    for url, reason in (
        ("http://tiles.example/{z}/{x}/{y}.png", "https://"),
        ("https://tiles.example/{z}/{x}.png", "{z}, {x} and {y}"),
        ('https://tiles.example/{z}/{x}/{y}.png"><script>', "a character a URL cannot"),
    ):
        with pytest.raises(SystemExit, match=re.escape(reason)):
            load_settings({"COMMONGROUND_TILE_URL": url, "DATABASE_URL": db_url})
    settings = load_settings({"COMMONGROUND_TILE_URL": "http://localhost:8080/{z}/{x}/{y}.png", "DATABASE_URL": db_url})
    async with AsyncTestClient(app=create_app(settings)) as client:
        page = await client.get("/")
    assert 'data-tiles="http://localhost:8080/{z}/{x}/{y}.png"' in page.text
    assert "img-src 'self' data: http://localhost:8080;" in page.headers["content-security-policy"]
