"""Checks schemathesis runs against residency-gateway beside its built-in ones.

Loaded with SCHEMATHESIS_HOOKS=schemathesis_hooks (tools/fuzz on PYTHONPATH) by
test/fuzz/openapi-fuzz.test.ts.
"""

import json

import schemathesis

PROBLEM_MEMBERS = ("type", "title", "status", "code")


@schemathesis.check
def errors_are_problem_json(ctx, response, case):
    """Every error is RFC 9457 problem+json with a stable code and its own status."""
    if response.status_code < 400:
        return None
    content_type = response.headers.get("content-type", [""])
    if isinstance(content_type, list):
        content_type = content_type[0] if content_type else ""
    if not content_type.startswith("application/problem+json"):
        raise AssertionError(
            f"{response.status_code} answered with {content_type or 'no content type'}, not application/problem+json"
        )
    try:
        body = json.loads(response.content)
    except ValueError as error:
        raise AssertionError(f"{response.status_code}: the problem body is not JSON") from error
    missing = [member for member in PROBLEM_MEMBERS if member not in body]
    if missing:
        raise AssertionError(f"{response.status_code}: problem+json without {', '.join(missing)}")
    if body["status"] != response.status_code:
        raise AssertionError(f"problem status {body['status']} differs from HTTP {response.status_code}")
    if not isinstance(body["code"], str) or not body["code"]:
        raise AssertionError(f"{response.status_code}: problem+json without a stable code")
    return None
