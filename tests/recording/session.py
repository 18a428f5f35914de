"""A scripted session over every operation of every provider, with the keys, the webhook
signature and the query token it sends (which no cassette may hold)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

KEYS = {
    "musicgpt": "mgpt-secret-key-4e1d2c",
    "soundpiece": "spk_secret-key-9a8b7c",
    "musicgen": "mgen-secret-key-51f0aa",
    "muzaic": "mzc-secret-key-77c3e1",
}
WEBHOOK_SIGNATURE = "v1,c2lnbmF0dXJlLW9mLWEtd2ViaG9vaw=="
QUERY_TOKEN = "query-token-d41d8cd9"
AUTH = {
    "musicgpt": {"Authorization": KEYS["musicgpt"]},
    "soundpiece": {"Authorization": f"Bearer {KEYS['soundpiece']}"},
    "musicgen": {"Authorization": f"Bearer {KEYS['musicgen']}"},
    "muzaic": {"MuzaicAPI-Secret-Key": KEYS["muzaic"]},
}
SOUNDPIECE = {
    "create.new_fx": ("fx", {"prompt": "glass breaking", "duration": 2}),
    "create.new_sample": ("sample", {"prompt": "rock, guitar", "duration": 2,
                                     "n_variations": 1}),
    "create.new_song": ("song", {"lyrics": "[Chorus]\nla la", "prompt": "synthwave",
                                 "n_variations": 1}),
    "create.new_instrumental": ("instrumental", {"prompt": "jazz piano", "n_variations": 1}),
    "create.remix_song": ("remix_song", {"source": {"url": "https://example.com/a.flac"},
                                         "prompt": "rock", "lyrics": "[Verse]\nla",
                                         "n_variations": 1}),
    "create.remix_instrumental": ("remix_instrumental", {
        "source": {"url": "https://example.com/b.wav"}, "n_variations": 1}),
}
REGION = {"time": 0, "duration": 2.5, "action": "generate"}

Step = tuple[str, httpx.Response]


def run(client: httpx.Client, advance: Callable[[float], None]) -> list[Step]:
    """Every operation of each provider (submits, polls before and after the clock moves,
    downloads), through ``client`` (based at the server's origin); each labelled answer."""
    steps: list[Step] = []

    def call(label: str, method: str, url: str, **kwargs) -> httpx.Response:
        response = client.request(method, url, **kwargs)
        steps.append((label, response))
        return response

    # MusicGPT: form submit, poll in queue, poll done, download
    base, auth = "/musicgpt/api/public/v1", AUTH["musicgpt"]
    task = call("musicgpt submit", "POST", f"{base}/sound_generator", headers=auth,
                data={"prompt": "rain", "audio_length": "2"}).json()["task_id"]
    query = {"conversionType": "SOUND_GENERATOR", "task_id": task}
    call("musicgpt poll queued", "GET", f"{base}/byId", params=query, headers=auth)
    # Soundpiece: every create.* route, submitted and polled
    made = {}
    for route, (key, body) in SOUNDPIECE.items():
        answer = call(f"soundpiece {route}", "PUT", f"/soundpiece/v1/{route}",
                      headers=AUTH["soundpiece"],
                      json={"idempotency_key": f"00000000-0000-4000-8000-{len(made):012d}", **body})
        made[route] = answer.json()[key]["id"]
    # Music Gen AI: one generation, a batch, a multi-instrument piece, models and health
    base, auth = "/musicgen/api/v1", AUTH["musicgen"]
    single = call("musicgen generate", "POST", f"{base}/generate", headers=auth,
                  json={"prompt": "lofi piano", "duration": 2}).json()["task_id"]
    call("musicgen batch", "POST", f"{base}/generate/batch", headers=auth,
         json={"requests": [{"prompt": "b", "duration": 2}]})
    call("musicgen multi", "POST", f"{base}/multi-instrument", headers=auth,
         json={"instruments": {"piano": "soft"}, "duration": 2})
    call("musicgen poll processing", "GET", f"{base}/generate/{single}", headers=auth)
    call("musicgen models", "GET", f"{base}/models", headers=auth)
    call("musicgen health", "GET", f"{base}/health")
    # Muzaic: synchronous; a query token and a webhook signature that must be redacted
    base, auth = "/muzaic", AUTH["muzaic"]
    call("muzaic tags", "GET", f"{base}/getTags", headers=auth, params={"token": QUERY_TOKEN})
    piece = call("muzaic single", "POST", f"{base}/singleFile", headers=auth,
                 json={"duration": 2, "tags": [11]}).json()
    call("muzaic soundtrack", "POST", f"{base}/soundtrack", headers=auth,
         json={"regions": [REGION]})
    call("muzaic soundtrack origin", "POST", f"{base}/soundtrack/studio",
         headers={**auth, "webhook-signature": WEBHOOK_SIGNATURE}, json={"regions": [REGION]})
    call("muzaic from hash", "POST", f"{base}/audioFromHash", headers=auth,
         json={"sourceHash": piece["hash"]})
    call("muzaic account", "GET", f"{base}/accountDetails", headers=auth)
    call("muzaic download", "GET", piece["mp3"])

    advance(120)
    base, auth = "/musicgpt/api/public/v1", AUTH["musicgpt"]
    done = call("musicgpt poll done", "GET", f"{base}/byId", params=query,
                headers=auth).json()["conversion"]
    call("musicgpt download", "GET", done["audio_url"])
    for route, (key, _body) in SOUNDPIECE.items():
        ready = call(f"soundpiece poll {route}", "GET", f"/soundpiece/v1/{route}",
                     headers=AUTH["soundpiece"], params={"id": made[route]}).json()[key]
        if route == "create.new_fx":
            call("soundpiece download", "GET", ready["outputs"][0]["url"])
    base, auth = "/musicgen/api/v1", AUTH["musicgen"]
    done = call("musicgen poll done", "GET", f"{base}/generate/{single}", headers=auth).json()
    call("musicgen download", "GET", done["audio_url"], headers=auth)
    call("musicgen poll again", "GET", f"{base}/generate/{single}", headers=auth)
    return steps
