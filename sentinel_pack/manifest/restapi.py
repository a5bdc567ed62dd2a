"""The RestApiPoller's field names: manifest snake_case <-> poller camelCase, in one place.

``build`` maps manifest keys to the poller's JSON names and ``import`` maps them back with
the same tables, so the two directions cannot drift apart. Names follow the provider schema
(Microsoft.SecurityInsights 2025-07-01-preview); the service reads them case-insensitively, so
``import`` accepts any case (real files mix ``NextPageParaName`` and ``nextPageParaName``).
"""

from __future__ import annotations

from typing import Any

from sentinel_pack.render.arm import parameter

#: The redirect URI Sentinel's portal uses for the OAuth2 authorization code flow.
PORTAL_REDIRECT_URI = "https://portal.azure.com/TokenAuthorize/ExtensionName/Microsoft_Azure_Security_Insights"

#: Connections-template parameters the connector UI's OAuthForm fills in.
OAUTH_FORM_PARAMETERS = ("ClientId", "ClientSecret", "AuthorizationCode")

REQUEST = {
    "api_endpoint": "apiEndpoint",
    "http_method": "httpMethod",
    "query_window_in_min": "queryWindowInMin",
    "query_time_format": "queryTimeFormat",
    "start_time_attribute_name": "startTimeAttributeName",
    "end_time_attribute_name": "endTimeAttributeName",
    "query_time_interval_attribute_name": "queryTimeIntervalAttributeName",
    "query_time_interval_prepend": "queryTimeIntervalPrepend",
    "query_time_interval_delimiter": "queryTimeIntervalDelimiter",
    "headers": "headers",
    "query_parameters": "queryParameters",
    "query_parameters_template": "queryParametersTemplate",
    "is_post_payload_json": "isPostPayloadJson",
    "rate_limit_qps": "rateLimitQPS",
    "retry_count": "retryCount",
    "timeout_in_seconds": "timeoutInSeconds",
}

PAGING = {
    "type": "pagingType",
    "page_size": "pageSize",
    "page_size_parameter_name": "pageSizeParameterName",
    "link_header_token_json_path": "linkHeaderTokenJsonPath",
    "next_page_url": "nextPageUrl",
    "next_page_url_query_parameters": "nextPageUrlQueryParameters",
    "next_page_url_query_parameters_template": "nextPageUrlQueryParametersTemplate",
    "next_page_token_json_path": "nextPageTokenJsonPath",
    "next_page_token_response_header": "nextPageTokenResponseHeader",
    "next_page_parameter_name": "nextPageParaName",
    "has_next_flag_json_path": "hasNextFlagJsonPath",
    "next_page_request_header": "nextPageRequestHeader",
    "offset_parameter_name": "offsetParaName",
    "page_number_parameter_name": "pageNumberParaName",
    "zero_based_indexing": "zeroBasedIndexing",
    "total_results_json_path": "totalResultsJsonPath",
    "page_number_json_path": "pageNumberJsonPath",
    "page_count_json_path": "pageCountJsonPath",
    "paging_info_placement": "pagingInfoPlacement",
    "paging_query_param_only": "pagingQueryParamOnly",
}

#: Spellings found in published connectors that mean the same field.
PAGING_ALIASES = {"pagesizeparaname": "page_size_parameter_name", "pagesizeparamtername": "page_size_parameter_name"}

RESPONSE = {
    "events_json_paths": "eventsJsonPaths",
    "format": "format",
    "success_status_json_path": "successStatusJsonPath",
    "success_status_value": "successStatusValue",
    "is_gzip_compressed": "isGzipCompressed",
    "compression_algo": "compressionAlgo",
    "csv_delimiter": "csvDelimiter",
    "csv_escape": "csvEscape",
    "has_csv_header": "hasCsvHeader",
    "has_csv_boundary": "hasCsvBoundary",
    "convert_child_properties_to_array": "convertChildPropertiesToArray",
}

#: Plain (not user-typed) auth fields per auth type; secrets are handled by ``auth_fields``.
AUTH = {
    "APIKey": {"header": "apiKeyName", "identifier": "apiKeyIdentifier", "in_post_payload": "isApiKeyInPostPayload"},
    "Basic": {},
    "OAuth2": {
        "grant_type": "grantType",
        "token_endpoint": "tokenEndpoint",
        "token_endpoint_headers": "tokenEndpointHeaders",
        "token_endpoint_query_parameters": "tokenEndpointQueryParameters",
        "scope": "scope",
        "credentials_in_headers": "isCredentialsInHeaders",
        "access_token_prepend": "accessTokenPrepend",
        "authorization_endpoint": "authorizationEndpoint",
        "authorization_endpoint_headers": "authorizationEndpointHeaders",
        "authorization_endpoint_query_parameters": "authorizationEndpointQueryParameters",
        "redirect_uri": "redirectUri",
    },
}

#: User-typed secrets per auth type: poller field -> the manifest key naming its Textbox.
SECRETS = {
    "APIKey": {"apiKey": "api_key_from"},
    "Basic": {"userName": "username_from", "password": "password_from"},
    "OAuth2": {"clientId": "client_id_from", "clientSecret": "client_secret_from", "authorizationCode": None},
}


def to_api(section: dict[str, Any] | None, mapping: dict[str, str]) -> dict[str, Any]:
    """Manifest keys -> poller keys, in the mapping's (documentation) order."""
    section = section or {}
    return {api: section[key] for key, api in mapping.items() if key in section}


def secret_parameters(auth: dict[str, Any]) -> dict[str, str]:
    """Poller secret field -> the Connections-template parameter that holds it.

    OAuth2 without ``client_id_from`` takes the client id, secret and (for the authorization
    code grant) the code from the connector UI's OAuthForm, as the official packager wires it.
    """
    kind = auth["type"]
    out: dict[str, str] = {}
    for api, key in SECRETS[kind].items():
        if kind == "OAuth2" and api == "authorizationCode":
            if auth["grant_type"] == "authorization_code":
                out[api] = "AuthorizationCode"
        elif key in auth:
            out[api] = auth[key]
        elif kind == "OAuth2":
            out[api] = "ClientId" if api == "clientId" else "ClientSecret"
    return out


def auth_to_api(auth: dict[str, Any]) -> dict[str, Any]:
    kind = auth["type"]
    body: dict[str, Any] = {"type": kind}
    body.update({api: parameter(name) for api, name in secret_parameters(auth).items()})
    values = dict(auth)
    if kind == "OAuth2" and auth["grant_type"] == "authorization_code":
        values.setdefault("redirect_uri", PORTAL_REDIRECT_URI)
    body.update(to_api(values, AUTH[kind]))
    return body


def uses_oauth_form(auth: dict[str, Any]) -> bool:
    return auth["type"] == "OAuth2" and "client_id_from" not in auth


def from_api(body: dict[str, Any], mapping: dict[str, str], aliases: dict[str, str] | None = None
             ) -> tuple[dict[str, Any], list[str]]:
    """Poller keys (any case) -> manifest keys; also returns the keys no mapping knows."""
    by_lower = {api.lower(): key for key, api in mapping.items()}
    by_lower.update(aliases or {})
    known: dict[str, Any] = {}
    unknown: list[str] = []
    for api, value in body.items():
        key = by_lower.get(api.lower())
        if key is None:
            unknown.append(api)
        else:
            known[key] = value
    ordered = {key: known[key] for key in mapping if key in known}
    return ordered, unknown
