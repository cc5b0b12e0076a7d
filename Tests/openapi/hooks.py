"""Talon's own schemathesis checks, loaded through SCHEMATHESIS_HOOKS by the suite's run
(ClusterTests.schemathesisFindsNoMismatch). Each stands in, for one or two operations, for
the part of a built-in check that Tests/openapi/schemathesis.toml widens there, so that what
the document says those operations do is still checked exactly.
"""

import json

import schemathesis


def _body(response):
    try:
        return json.loads(response.content or b"null")
    except ValueError:
        return None


@schemathesis.check
def no_generated_envelope_is_applied(ctx, response, case):
    """Nothing schemathesis makes carries a valid signature by a key with standing on the
    node's chain, so nothing it submits is ever applied: a 200 to POST /v1/envelopes is the
    answer to an array whose every element has its own `error` (a schema-violating element
    included), never a receipt."""
    if case.operation.method.upper() != "POST" or case.operation.path != "/v1/envelopes":
        return None
    if response.status_code != 200:
        return None
    body = _body(response)
    results = body.get("results") if isinstance(body, dict) else None
    if not isinstance(results, list) or any(not isinstance(r, dict) or "error" not in r for r in results):
        raise AssertionError(f"a generated envelope was applied: {response.content[:400]!r}")
    return None


@schemathesis.check
def proof_sizes_within_their_schema_are_read(ctx, response, case):
    """A `size`, `from` or `to` within its schema is read: a 400 to a proof request made of
    schema-valid data is `proof_out_of_range` (a tree the ledger has not reached, or that does
    not hold the envelope yet), never `invalid_parameter`."""
    if not case.operation.path.startswith("/v1/proofs/") or response.status_code != 400:
        return None
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    body = _body(response)
    code = body.get("code") if isinstance(body, dict) else None
    if code != "proof_out_of_range":
        raise AssertionError(f"schema-valid proof parameters refused with {code!r}: {response.content[:400]!r}")
    return None
