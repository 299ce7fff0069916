"""The proxy's own HTTP/1.1 client: bodies both ways, large and chunked answers, raw paths, keep-alive reuse."""

from __future__ import annotations

import httpx


async def test_large_chunked_and_encoded_requests_pass_through(gateway, staff_token) -> None:  # type: ignore[no-untyped-def]
    auth = {"Authorization": f"Bearer {staff_token('officer')}"}
    async with httpx.AsyncClient(base_url=gateway.url) as c:
        big = await c.get("/api/v1/policies", params={"pad": 400_000})
        assert big.status_code == 200 and len(big.json()["pad"]) == 400_000
        streamed = await c.get("/api/v1/policies", params={"stream": 500})
        assert streamed.status_code == 200
        assert streamed.text == "".join(f"chunk-{i};" for i in range(500))
        encoded = await c.get("/api/v1/policies/%E9%9B%86%E6%88%90?q=a%2Bb&q=%20")
        assert encoded.json()["path"] == "/api/v1/policies/集成"
        assert encoded.json()["query"] == "q=a%2Bb&q=%20"
        upload = "诉求内容" * 50_000
        posted = await c.post("/api/v1/tickets", content=upload.encode(), headers=auth)
        assert posted.status_code == 200 and posted.json()["body"] == upload
        empty = await c.post("/api/v1/tickets", headers=auth)
        assert empty.status_code == 200 and empty.json()["body"] == ""
        # Many requests in a row ride kept-alive upstream connections and all come back intact.
        for i in range(30):
            assert (await c.get("/api/v1/policies", params={"i": i})).json()["query"] == f"i={i}"
