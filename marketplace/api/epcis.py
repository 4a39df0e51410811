"""`GET /epcis/events`: the EPCIS 2.0 query interface (REST binding) over the events of the caller's own orders.

Authenticated like the rest of the API with an organization's token (`Authorization: Bearer …`); the
parameters and the answer are the standard's (see `marketplace.trace.query`). Described in openapi.json.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, request

from marketplace.api import tokens
from marketplace.api.document import refuse_what_the_document_refuses
from marketplace.db import db
from marketplace.errors import DomainError
from marketplace.limits import limit
from marketplace.orders.services import party_order_ids
from marketplace.problems import problem
from marketplace.trace import query as epcis_query

blueprint = Blueprint("epcis", __name__, url_prefix="/epcis")
limit("API")(blueprint)
HEADERS = {"GS1-EPCIS-Version": "2.0.0", "GS1-CBV-Version": "2.0.0"}


@blueprint.get("/events")
def events() -> Response:
    """A page of the organization's trace events matching the query, as an EPCIS 2.0 query document; `Link: rel="next"` while more
    follow."""
    organization = tokens.organization_for(db.session, request.headers.get("Authorization"))
    if organization is None:
        response = problem(
            401, "Unauthorized", "Send `Authorization: Bearer <token>` with a live API token of your organization."
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="loom"'
        return response
    secret = current_app.config["SECRET_KEY"]
    try:
        refuse_what_the_document_refuses(request.args, request.url_rule.rule if request.url_rule else request.path)
        query = epcis_query.parse_event_query(request.args)
        after = None
        if token := request.args.get("nextPageToken"):
            after = epcis_query.read_page_token(secret, organization.id, query, token)
    except DomainError as error:
        return problem(400, "QueryParameterException", error.message, field=error.field)
    found, last = epcis_query.find_events(db.session, party_order_ids(organization.id), query, after=after)
    body = json.dumps(epcis_query.query_document(found), ensure_ascii=False)
    response = Response(body, mimetype="application/ld+json", headers=HEADERS)
    if last is not None:
        following = [(k, v) for k, v in request.args.items(multi=True) if k != "nextPageToken"]
        following.append(("nextPageToken", epcis_query.page_token(secret, organization.id, query, last)))
        response.headers["Link"] = f'<{request.path}?{urlencode(following)}>; rel="next"'
    return response
