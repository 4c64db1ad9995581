"""The production defaults and the reverse-proxy example say what the installed Streamlit needs."""

from __future__ import annotations

import base64
import hashlib
import re
import tomllib
from pathlib import Path

import streamlit

from spatial.importer import MAX_UPLOAD_BYTES

ROOT = Path(__file__).resolve().parent.parent


def test_config_shows_no_error_details_and_states_the_upload_limit() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["client"]["showErrorDetails"] == "none"
    assert config["server"]["maxUploadSize"] * 1024**2 == MAX_UPLOAD_BYTES
    assert config["server"].get("enableXsrfProtection", True) is True


def test_proxy_lets_an_upload_of_the_apps_limit_through() -> None:
    conf = (ROOT / "docs" / "deploy" / "nginx.conf").read_text()
    m = re.search(r"client_max_body_size (\d+)m;", conf)
    assert m, "no client_max_body_size in nginx.conf"
    # Above the app's own limit (multipart overhead), so the app, not nginx, refuses a big file.
    assert MAX_UPLOAD_BYTES < int(m.group(1)) * 1024**2 <= MAX_UPLOAD_BYTES + 8 * 1024**2


def _csp() -> str:
    conf = (ROOT / "docs" / "deploy" / "nginx.conf").read_text()
    m = re.search(r'add_header Content-Security-Policy "([^"]+)" always;', conf)
    assert m, "no CSP in nginx.conf"
    return m.group(1)


def test_csp_allows_only_the_apps_origin_and_streamlits_inline_script() -> None:
    csp = dict((d.split()[0], d.split()[1:]) for d in (p.strip() for p in _csp().split(";")) if d)
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'self'"] and csp["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in csp["script-src"]
    assert all(
        s.startswith("'") or s.startswith("wss://$host")
        for s in csp["script-src"] + csp["connect-src"]
    )
    index = (Path(streamlit.__file__).parent / "static" / "index.html").read_text()
    for body in re.findall(r"<script>(.*?)</script>", index, re.S):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp["script-src"], f"put 'sha256-{digest}' in nginx.conf"


def test_proxy_sends_hsts_on_tls_and_nosniff_and_is_linked_from_the_readme() -> None:
    conf = (ROOT / "docs" / "deploy" / "nginx.conf").read_text()
    tls = conf[conf.index("listen 443") :]
    assert "Strict-Transport-Security" in tls
    assert "Strict-Transport-Security" not in conf[: conf.index("listen 443")]
    assert 'X-Content-Type-Options "nosniff"' in conf
    assert "docs/deploy/" in (ROOT / "README.md").read_text()
