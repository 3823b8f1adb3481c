"""The workspace's own files go through the one assets mechanism."""

from __future__ import annotations

import re

from dadkhahi.assets.lock import STATIC, manifest


def test_stylesheet_urls_name_current_fingerprinted_assets() -> None:
    css = (STATIC / "web" / "app.css").read_text("utf-8")
    urls = re.findall(r"url\(\"?([^\")]+)\"?\)", css)
    assert urls, "the stylesheet loads the Persian font"
    files = manifest()
    for url in urls:
        found = re.fullmatch(r"/assets/([0-9a-f]{16})/(.+)", url)
        assert found, f"{url}: not a fingerprinted asset URL"
        digest, path = found.groups()
        assert files.get(path) == digest, f"{url}: stale digest, use {files.get(path)}"
