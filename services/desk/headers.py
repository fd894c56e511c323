"""Security headers on every desk response: a Content-Security-Policy and no framing.

The desk's pages load one stylesheet from /desk-static, draw charts as inline SVG built on the
server, and run no script; the policy allows exactly that, so an injected script or style,
a form posting elsewhere, or a page framing the desk (clickjacking) is refused by the browser.
"""

from __future__ import annotations

from flask.wrappers import Response

CSP = "; ".join(
    (
        "default-src 'none'",
        "style-src 'self'",
        "img-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",  # for browsers older than frame-ancestors
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # case ids in URLs stay on the desk
}


def add_security_headers(response: Response) -> Response:
    """Set the headers unless a view chose its own."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response
