"""Search snippets as HTML: what the results page and the JSON API show of the words a query matched."""

from __future__ import annotations

from markupsafe import Markup, escape


def marked(snippet: str) -> Markup:
    """Return HTML for a highlighted snippet: the text escaped, the matched words (between \\x02 and \\x03) in <mark>."""
    return Markup(str(escape(snippet)).replace("\x02", "<mark>").replace("\x03", "</mark>"))
