async def test_health(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ready"}


async def test_seeded_search(seeded_client):
    response = await seeded_client.get("/v1/resources", params={"near": "45.52,-122.68"})
    assert response.status_code == 200
    assert len(response.json()["items"]) == 20
