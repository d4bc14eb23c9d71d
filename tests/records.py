"""Record pages as a user sees them after opening every tab (``fortycrm/admin/lazy_tabs.py``)."""

from __future__ import annotations

import re

PLACEHOLDER = re.compile(r'<div id="[^"]*" class="fortycrm-lazy-tab" data-lazy-tab-url="([^"]+)"[^>]*>\s*<p[^>]*>.*?</p>\s*</div>', re.DOTALL)


def with_tabs(client, response):
    """``response`` (a record page) with each tab that loads when opened put in its place, as the
    page's script does: the same content and form fields as a page that rendered every tab."""
    query = response.wsgi_request.META.get("QUERY_STRING", "")

    def tab(match: re.Match) -> str:
        loaded = client.get(match.group(1) + (f"?{query}" if query else ""))
        assert loaded.status_code == 200, match.group(1)
        return loaded.content.decode()

    response.content = PLACEHOLDER.sub(tab, response.content.decode()).encode()
    return response
