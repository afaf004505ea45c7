"""Schema fuzzing: schemathesis draws requests from /openapi.json and sends them over real HTTP to a live
server on the fixture store (with the token, so writes are exercised too), both valid requests and
requests that break the schema. No request may cause a 5xx, and every documented response must match its
schema. Bounded: NEWSFUSE_FUZZ_EXAMPLES (default 50) examples per operation and mode, derandomised so CI
runs are repeatable."""

from __future__ import annotations

import os

import pytest

from test_serve_support import TOKEN, HashingEncoder, serve

schemathesis = pytest.importorskip(
    "schemathesis", reason="schema fuzzing needs schemathesis (pip install schemathesis)"
)
hypothesis = pytest.importorskip("hypothesis")

EXAMPLES = int(os.environ.get("NEWSFUSE_FUZZ_EXAMPLES", "50"))


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    yield from serve(tmp_path_factory.mktemp("fuzz"), encoder=HashingEncoder(), rate_limit_per_minute=0)


def _operations(url):  # noqa: ANN001, ANN202
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
    return [r.ok() for r in schema.get_all_operations()]


def test_operations_are_all_fuzzed(live):
    url, _ = live
    labels = {f"{op.method.upper()} {op.path}" for op in _operations(url)}
    assert {"GET /api/stories", "GET /api/stories/{story_id}", "POST /api/articles", "POST /api/check"} <= labels
    assert {"GET /api/feeds", "POST /api/feeds", "DELETE /api/feeds", "GET /api/articles/{article_id}"} <= labels


@pytest.mark.slow
def test_no_server_errors_under_schema_fuzzing(live):
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error, response_schema_conformance

    url, _ = live
    failures: list[str] = []
    modes = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
    for op, mode in [(op, mode) for op in _operations(url) for mode in modes]:

        @given(case=op.as_strategy(mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):  # noqa: ANN001, ANN202
            headers = {"Authorization": f"Bearer {TOKEN}"}
            case.call_and_validate(
                base_url=url, headers=headers, checks=[not_a_server_error, response_schema_conformance], timeout=30
            )

        try:
            run()
        except hypothesis.errors.Unsatisfiable:
            continue  # nothing to break: an operation without parameters has no negative cases
        except Exception as exc:  # noqa: BLE001 - collect every operation's failure, then report them all
            failures.append(f"{op.method.upper()} {op.path} ({mode.value}): {str(exc)[:2000]}")
    assert failures == [], "\n\n".join(failures)
