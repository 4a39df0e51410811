"""The web layer's wiring: extensions, blueprints, error pages and problem+json, security headers."""

from __future__ import annotations

import re
from functools import cached_property
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, abort, g, has_request_context, make_response, render_template, request
from flask import session as browser_session
from flask.sessions import SecureCookieSessionInterface
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_limiter import RateLimitExceeded
from flask_login import LoginManager, current_user
from flask_wtf.csrf import CSRFError, CSRFProtect
from itsdangerous import URLSafeTimedSerializer
from markupsafe import Markup
from sqlalchemy.exc import DBAPIError, IntegrityError
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.exceptions import NotFound as NotFoundError
from werkzeug.routing import IntegerConverter

from marketplace import i18n, limits, pagecache
from marketplace.accounts import context
from marketplace.db import DatabaseBusy, has_committed, is_busy, is_unique_violation, retry_when_busy
from marketplace.errors import Conflict, DomainError
from marketplace.i18n import lazy_gettext as _l
from marketplace.money import format_amount, format_money
from marketplace.problems import problem
from marketplace.producers.taxonomy import CATEGORIES, CERTIFICATION_SCHEMES, country_name
from marketplace.sourcing.incoterms import delivery_terms
from marketplace.submissions.services import new_token
from marketplace.uploads import CappedUploadRequest


class LoomLoginManager(LoginManager):
    """Flask-Login's manager, without the session-protection check of an empty session.

    Flask-Login hashes the client's address and User-Agent on every request to compare with the identifier a signed-in
    session carries, then skips the comparison when the session is empty (a visitor's): the hash is not made then.
    """

    def _session_protection_failed(self) -> bool:
        if not browser_session:
            return False  # what Flask-Login answers for an empty session, whatever the mode
        return bool(super()._session_protection_failed())


class LoomSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per secret key instead of every request.

    Flask builds an itsdangerous serializer (a signer per key, the key derivation) on every request, to read a cookie
    or to find there is none. It depends only on the secret key and its fallbacks, which are in the remembered key:
    a new secret key (or fallback) builds a new serializer.
    """

    _remembered: tuple[tuple[Any, ...], URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Return the serializer Flask's would build for `app`'s secret keys now; None without a secret key."""
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        remembered = self._remembered
        if remembered is not None and remembered[0] == key:
            return remembered[1]
        serializer = super().get_signing_serializer(app)
        self._remembered = (key, serializer)
        return serializer


csrf = CSRFProtect()
login_manager = LoomLoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Sign in to continue.")
login_manager.login_message_category = "info"


LINKS_KEPT = 50_000  # links remembered a process (LoomFlask.url_for): group pages, media, pager links; a few MB


class LoomFlask(Flask):
    """Flask, with each request's view run again, whole, when the database answers busy.

    A PostgreSQL deadlock or serialization failure, or a SQLite write lock held past the busy
    timeout, rolls the use case back (`marketplace.db.write_transaction`); the view is then run again
    from its first line, after a short jittered pause, up to `marketplace.db.BUSY_ATTEMPTS` times
    (`retry_when_busy`). Only then does the person get a 503 with Retry-After. A request that already
    committed one transaction (a sign-in attempt recorded before the password check) is not run again.
    """

    def dispatch_request(self) -> ResponseReturnValue:
        """Run the view.

        When the database answers busy, run it again whole (flashes and uploads reset) unless it already committed.
        """
        flashes = list(browser_session.get("_flashes", []))

        def may_retry() -> bool:
            session = g.get("loom_session")
            return session is None or not has_committed(session)

        def before_retry() -> None:
            session = g.get("loom_session")
            if session is not None:
                session.rollback()
            for _name, upload in request.files.items(multi=True):
                upload.stream.seek(0)  # the next attempt reads the uploads from their start
            if flashes:
                browser_session["_flashes"] = list(flashes)
            else:
                browser_session.pop("_flashes", None)
            g.loom_retrying = True  # rate limits counted this request once (marketplace.limits)

        return retry_when_busy(super().dispatch_request, may_retry=may_retry, before_retry=before_retry)

    session_interface = LoomSessionInterface()
    SYNC_FUNCTIONS_KEPT = 4096  # hooks and views known to be plain functions (a request's own callbacks come and go)

    def ensure_sync(self, func: Any) -> Any:
        """Return `func` as Flask would (a plain function as it is, an async one wrapped), asking once per plain function.

        Flask asks `inspect.iscoroutinefunction` for every hook and view of every request, a dozen a request.
        """
        known = self._loom_sync_functions
        try:
            if func in known:
                return func
        except TypeError:  # unhashable: asked every time
            return super().ensure_sync(func)
        run = super().ensure_sync(func)
        if run is func:
            if len(known) >= self.SYNC_FUNCTIONS_KEPT:
                known.clear()
            known.add(func)
        return run

    @cached_property
    def _loom_sync_functions(self) -> set[Any]:
        return set()

    def url_for(
        self,
        /,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: Any,
    ) -> str:
        """Build a URL as Flask does; remember a request's own links (no scheme, not external, plain values).

        A page builds thirty to a hundred links, many the same on every page (the menu, the stylesheet), each through
        Flask's and Werkzeug's builders. Such a link depends only on the endpoint (and the request's blueprint for a
        relative one), the values, each with its type (1 and True differ) and in the order given (the query keeps it),
        the anchor, the method and the application root the request came in on, all in the key. Links built with
        `url_default_functions` registered, or from a value that is not plain text or a whole number, are always built.
        """
        if _scheme is not None or _external or self.url_default_functions or not has_request_context():
            return super().url_for(endpoint, _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external, **values)
        key: list[Any] = [endpoint, request.blueprint if endpoint[:1] == "." else None, request.script_root, _anchor, _method]
        for name, value in values.items():
            kind = type(value)
            if kind is not str and kind is not int and value is not None:
                return super().url_for(endpoint, _anchor=_anchor, _method=_method, _external=_external, **values)
            key += (name, kind, value)
        remembered = tuple(key)
        url = self._loom_links.get(remembered)
        if url is None:
            url = super().url_for(endpoint, _anchor=_anchor, _method=_method, _external=_external, **values)
            if len(self._loom_links) >= LINKS_KEPT:
                self._loom_links.clear()
            self._loom_links[remembered] = url
        return url

    @cached_property
    def _loom_links(self) -> dict[tuple[Any, ...], str]:
        return {}


def init_app(app: Flask) -> None:
    """Wire the web layer into `app`.

    CSRF, languages, sign-in, rate limits, the blueprints, money filters, error pages and headers.
    """
    from erp_connector.views import blueprint as erp
    from marketplace.accounts.views import blueprint as accounts
    from marketplace.api.epcis import blueprint as epcis
    from marketplace.api.token_views import blueprint as api_tokens
    from marketplace.api.views import blueprint as api
    from marketplace.discovery.views import blueprint as discovery
    from marketplace.operator import imports as _operator_imports  # noqa: F401 - its pages join the operator blueprint
    from marketplace.operator.views import blueprint as operator
    from marketplace.orders.views import blueprint as orders
    from marketplace.producers.views import blueprint as producers
    from marketplace.producers.views import manage
    from marketplace.reputation.views import blueprint as reviews
    from marketplace.sourcing.views import blueprint as sourcing
    from marketplace.trace.views import blueprint as trace
    from payments.views import blueprint as payments

    app.url_map.converters["int"] = RowId
    app.request_class = LoomRequest  # an oversized file gets a field error; the form around it arrives whole
    csrf.init_app(app)
    i18n.init_app(app, organization_locale=_organization_locale)
    login_manager.init_app(app)
    limits.init_app(app)
    login_manager.user_loader(context.load_user)
    for blueprint in (
        accounts,
        producers,
        discovery,
        sourcing,
        orders,
        manage,
        erp,
        operator,
        payments,
        api,
        epcis,
        trace,
        api_tokens,
        reviews,
    ):
        app.register_blueprint(blueprint)
    csrf.exempt(api)  # the API is read-only so far and takes no cookies' word for a write
    csrf.exempt(epcis)
    csrf.exempt("payments.views.stripe_webhook")  # Stripe signs its body instead; see payments.webhooks

    # Money through Babel with the currency's own decimals, in the request's locale (marketplace.i18n):
    # `{{ order.total|money(order.currency) }}` → "$1,092.50" in English, "1 092,50 $US" in French;
    # `{{ line.unit_price|amount(order.currency) }}` → "1,092.50" where the currency stands beside it.
    app.jinja_env.filters.update(
        money=lambda value, currency: format_money(value, currency, i18n.current_locale()),
        amount=lambda value, currency: format_amount(value, currency, i18n.current_locale()),
        paragraphs=paragraphs,
        isolate=isolate,
    )
    app.jinja_env.globals.update(
        categories=CATEGORIES,
        certification_schemes=CERTIFICATION_SCHEMES,
        country_name=country_name,
        delivery_terms=delivery_terms,  # "DAP Rotterdam — delivered to the door; …" (marketplace.sourcing.incoterms)
        current_membership=context.current_membership,
        submission_token=new_token,  # a form written by hand in a template (the confirmation banner's) carries one too
    )
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(DomainError, _domain_error)
    app.register_error_handler(CSRFError, _csrf_error)
    app.register_error_handler(DBAPIError, _database_error)
    app.after_request(_security_headers)
    app.before_request(_refuse_nul)
    pagecache.init_app(app)  # after the NUL check and the rate limits: a cached page is answered only to what they let through


class Parameters(ImmutableMultiDict[str, str]):
    """A request's query or form fields (Werkzeug's `ImmutableMultiDict`), answering `get` for a field not sent at once.

    Werkzeug's `get` looks the field up through `[]`, which raises (and `get` catches) a `BadRequestKeyError`, an HTTP
    exception built for each missing field: a search page asks for some forty fields not sent. The answer is the same.
    """

    def get(self, key: Any, default: Any = None, type: Any = None) -> Any:
        """Return the field's first value (converted by `type`, else `default` when it refuses), or `default` when the field
        was not sent, as `MultiDict.get` does."""
        if key not in self:
            return default
        return super().get(key, default, type)


class LoomRequest(CappedUploadRequest):
    """The request: uploads capped (`CappedUploadRequest`), its query and form fields in `Parameters`."""

    parameter_storage_class = Parameters


class RowId(IntegerConverter):
    """`<int:...>` in every route: digits only, up to the largest id a database integer holds (else 404, not a 500)."""

    def __init__(self, url_map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(url_map, *args, **kwargs)


def _organization_locale() -> str | None:
    """Return the signed-in person's organization's default locale code, or None."""
    membership = context.current_membership()
    return membership.organization.locale if membership else None


def isolate(text: object) -> Markup:
    """Wrap people's words in `<bdi>` (escaped), so a name in any script keeps its direction inside a sentence.

    Use it for values put into translated sentences: `{% trans name=group.name|isolate %}…{% endtrans %}`.
    """
    return Markup("<bdi>{}</bdi>").format("" if text is None else text)


def paragraphs(text: str | None) -> Markup:
    """Show typed text as it was typed: paragraphs at blank lines, line breaks kept (CRLF, CR or LF), each `dir="auto"`, all
    escaped."""
    blocks = [b.strip("\n") for b in re.split(r"\n[ \t]*\n", re.sub(r"\r\n?", "\n", text or "")) if b.strip()]
    return Markup("").join(Markup('<p dir="auto">{}</p>').format(Markup("<br>").join(block.split("\n"))) for block in blocks)


def _wants_problem() -> bool:
    return request.path.startswith(("/api/", "/epcis/"))


def _http_detail(error: HTTPException, status: int) -> str:
    """Return what to tell about an HTTP error in the reader's language: ours for Werkzeug's own English sentences."""
    detail = error.description or ""
    if status == 404 and detail == NotFoundError.description:  # Werkzeug's own words, not a message of ours
        return _("There is no page at this address. It may have moved or been removed; try the search or go back.")
    if status == 405 and detail == MethodNotAllowed.description:
        return _("This address cannot be used that way. Go back and use the page's buttons.")
    if status == 413:
        limit = (request.max_content_length or 0) // (1024 * 1024)
        return _(
            "Everything you sent adds up to more than %(limit)s MB. Go back and send fewer or smaller files; nothing was saved.",
            limit=limit,
        )
    if detail == type(error).description:  # any other of Werkzeug's English sentences: the translated title says it
        return ""
    return detail


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    detail = _http_detail(error, status)
    if _wants_problem():
        response = problem(status, i18n.status_title(status, error.name), detail)
    else:
        response = make_response(
            render_template("error.html", status=status, title=i18n.status_title(status, error.name), detail=detail), status
        )
    if isinstance(error, RateLimitExceeded):
        response.headers["Retry-After"] = str(limits.retry_after())
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        response.headers["Allow"] = ", ".join(sorted(error.valid_methods))
    return response


def _domain_error(error: DomainError) -> Response | tuple[str, int]:
    response: Response | tuple[str, int]
    if _wants_problem():
        extra = {"field": error.field} if error.field else {}
        response = problem(
            error.status, i18n.status_title(error.status, HTTPStatus(error.status).phrase), str(error.message), **extra
        )
    else:
        response = (
            render_template("error.html", status=error.status, title=_("That did not work"), detail=error.message),
            error.status,
        )
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        response = make_response(response)
        response.headers["Retry-After"] = str(retry_after)
    return response


def _database_error(error: DBAPIError) -> Response | tuple[str, int]:
    """A unique key taken by a concurrent request is a conflict, a busy database a 503; other faults stay 500s."""
    if isinstance(error, IntegrityError) and is_unique_violation(error):
        return _domain_error(
            Conflict(_l("Someone else saved the same thing at the same moment; nothing was changed. Reload the page to see it."))
        )
    if is_busy(error):
        return _domain_error(DatabaseBusy())
    raise error


def _refuse_nul() -> None:
    """Refuse a NUL character in the path or the query: PostgreSQL refuses it in any text, so it would otherwise
    surface as a 500 wherever the value reaches a query. (Form fields are cleaned instead: see marketplace.forms.Form.)"""
    if "\x00" in request.path or any("\x00" in value for value in request.args.values()):
        abort(400, description=_("The address holds a NUL character, which no address may contain."))


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    detail = _("The form expired or came from another site. Go back, reload the page and send it again.")
    return render_template("error.html", status=400, title=_("Form expired"), detail=detail), 400


def _security_headers(response: Response) -> Response:
    if current_user.is_authenticated and "Cache-Control" not in response.headers:
        # Orders, invoices, payouts, messages: nothing shown to a signed-in person is kept by a cache or the browser.
        response.headers["Cache-Control"] = "private, no-store"
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    )
    return response
