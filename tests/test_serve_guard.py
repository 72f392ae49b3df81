"""`advisor serve`'s guard: bearer-token auth, the body limit and bounded seeds, over ASGI without a model."""

from __future__ import annotations

import asyncio

import httpx
from fakes.backends import ScriptedBackend

from advisor.serve.app import create_app

KEY = "serve-secret-123456"
BODY = {"model": "scripted", "messages": [{"role": "user", "content": "q1 say billing"}]}


def call(app, method: str, path: str, **options) -> httpx.Response:
    async def go():
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://serve") as client:
            return await client.request(method, path, **options)

    return asyncio.run(go())


def test_with_a_key_every_route_but_health_wants_the_bearer_token():
    app = create_app(ScriptedBackend(), api_key=KEY)
    assert call(app, "GET", "/health").status_code == 200
    missing = call(app, "POST", "/v1/chat/completions", json=BODY)
    wrong = call(app, "GET", "/v1/models", headers={"Authorization": "Bearer nope"})
    right = call(app, "POST", "/v1/chat/completions", json=BODY, headers={"Authorization": f"Bearer {KEY}"})
    assert (missing.status_code, wrong.status_code, right.status_code) == (401, 401, 200)
    assert missing.json()["error"]["code"] == "invalid_api_key" and KEY not in missing.text
    assert right.json()["choices"][0]["message"]["content"] == "billing"


def test_a_body_over_the_limit_is_refused_with_413_whether_or_not_it_states_its_length():
    app = create_app(ScriptedBackend(), max_body_bytes=1000)
    big = {**BODY, "messages": [{"role": "user", "content": "q1 " + "x" * 5000}]}
    stated = call(app, "POST", "/v1/chat/completions", json=big)

    async def chunks():
        yield b'{"model": "scripted", "messages": [{"role": "user", "content": "'
        for _ in range(10):
            yield b"x" * 500
        yield b'"}]}'

    streamed = call(app, "POST", "/v1/chat/completions", content=chunks(), headers={"content-type": "application/json"})
    small = call(app, "POST", "/v1/chat/completions", json=BODY)
    assert (stated.status_code, streamed.status_code, small.status_code) == (413, 413, 200)
    assert "1,000 bytes" in stated.json()["error"]["message"]


def test_a_seed_beyond_64_bits_is_a_400_naming_the_field():
    response = call(create_app(ScriptedBackend()), "POST", "/v1/chat/completions", json={**BODY, "seed": 1e23})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "seed"
