"""Assignment: optimal under capacity and conflicts (known optimum, brute force), batch, arrival, claim, release."""

import itertools
import math
import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from kunruyi_launcher.testing import partner, staff
from kunruyi_matching.broker.assignment import solve
from kunruyi_matching.synthetic.identifiers import make_uscc


def brute_force(weights: np.ndarray, capacities: list[int]) -> float:
    n, m = weights.shape
    best = 0.0
    for choice in itertools.product([None, *range(m)], repeat=n):
        load = [0] * m
        total = 0.0
        ok = True
        for d, b in enumerate(choice):
            if b is None:
                continue
            if math.isnan(weights[d, b]):
                ok = False
                break
            load[b] += 1
            total += weights[d, b]
        if ok and all(load[b] <= capacities[b] for b in range(m)):
            best = max(best, total)
    return best


def check(weights: np.ndarray, capacities: list[int], pairs: list[tuple[int, int]]) -> float:
    assert len({d for d, _ in pairs}) == len(pairs)
    for b, cap in enumerate(capacities):
        assert sum(1 for _, pb in pairs if pb == b) <= cap
    assert all(not math.isnan(weights[d, b]) for d, b in pairs)
    return float(sum(weights[d, b] for d, b in pairs))


def test_known_optimum_beats_greedy() -> None:
    nan = float("nan")
    # Greedy takes (0, 0) = 5 and strands demand 1; the optimum is 4 + 4 + 3 = 11.
    weights = np.array([[5.0, 4.0, nan], [4.0, nan, nan], [nan, 3.0, 3.0], [nan, nan, 1.0]])
    capacities = [1, 1, 1]
    pairs = solve(weights, capacities)
    assert sorted(pairs) == [(0, 1), (1, 0), (2, 2)]
    assert check(weights, capacities, pairs) == 11.0 == brute_force(weights, capacities)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_solver_matches_brute_force(data: st.DataObject) -> None:
    n = data.draw(st.integers(1, 5))
    m = data.draw(st.integers(1, 3))
    cells = data.draw(st.lists(st.one_of(st.none(), st.integers(1, 9)), min_size=n * m, max_size=n * m))
    weights = np.array([float("nan") if c is None else float(c) for c in cells]).reshape(n, m)
    capacities = data.draw(st.lists(st.integers(0, 3), min_size=m, max_size=m))
    pairs = solve(weights, capacities)
    assert check(weights, capacities, pairs) == brute_force(weights, capacities)


def broker(subject: str, *, chains: list[str], fields: list[str], capacity: int, cert: str = "中级") -> dict:  # type: ignore[type-arg]
    return {
        "subject": subject,
        "name": subject,
        "agency": "昆山技术转移中心",
        "certification": cert,
        "fields": fields,
        "chains": chains,
        "monthly_capacity": capacity,
    }


async def submit_approved(c, uscc: str, chain: str, field: str) -> str:  # type: ignore[no-untyped-def]
    d = (
        await c.post(
            "/api/v1/demands",
            json={
                "enterprise_uscc": uscc,
                "title": "技术需求",
                "description": "需要专家合作",
                "industry_chain": chain,
                "technical_field": field,
                "demand_type": "技术攻关",
            },
        )
    ).json()
    return d["id"]


async def test_arrival_batch_capacity_conflicts_and_queue(client) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(5)
    conflicted_uscc, other_uscc = make_uscc(rng), make_uscc(rng)
    async with client(staff("officer")) as c:
        b_pack = (
            await c.post(
                "/api/v1/brokers",
                json=broker(
                    "b-pack", chains=["semiconductor"], fields=["advanced_packaging"], capacity=1, cert="高级"
                ),
            )
        ).json()
        b_semi = (
            await c.post(
                "/api/v1/brokers", json=broker("b-semi", chains=["semiconductor"], fields=[], capacity=2)
            )
        ).json()
        assert (
            await c.post(
                f"/api/v1/brokers/{b_pack['id']}/conflicts",
                json={"enterprise_uscc": conflicted_uscc, "reason": "曾任职"},
            )
        ).status_code == 204
        # Queue four approved demands before any assignment runs (submit all, approve none yet).
        ids = [
            await submit_approved(c, u, "semiconductor", "advanced_packaging")
            for u in [conflicted_uscc, other_uscc, other_uscc, other_uscc]
        ]
        ids.append(await submit_approved(c, other_uscc, "new_energy", "solid_state_battery"))
        results = []
        for i in ids:
            results.append((await c.post(f"/api/v1/demands/{i}/review", json={"decision": "approve"})).json())
        # On arrival: the conflicted demand cannot go to b-pack, so b-semi takes it; the next goes to b-pack.
        assert results[0]["broker_id"] == b_semi["id"]
        assert results[1]["broker_id"] == b_pack["id"]
        assert results[2]["broker_id"] == b_semi["id"]
        # Every capacity is used up; the rest wait in the visible queue, never dropped.
        assert results[3]["status"] == "unassigned" and results[4]["status"] == "unassigned"
        run = (await c.post("/api/v1/assignments/runs")).json()
        assert run["assigned"] == [] and set(run["waiting"]) == {ids[3], ids[4]}
        queue = (await c.get("/api/v1/demands", params={"status": "unassigned"})).json()["items"]
        assert {d["id"] for d in queue} == {ids[3], ids[4]}
        listed = (await c.get("/api/v1/brokers", params={"industry_chain": "semiconductor"})).json()["items"]
        assert {b["subject"]: b["assigned_this_month"] for b in listed} == {"b-pack": 1, "b-semi": 2}
        assert (await c.get("/api/v1/brokers", params={"industry_chain": "new_energy"})).json()["items"] == []

    # b-pack releases its demand; the batch run gives b-pack the other waiting demand, not the released one.
    async with client(staff("broker", subject="b-pack")) as c:
        released = await c.post(f"/api/v1/demands/{ids[1]}/release", json={"note": "时间冲突"})
        assert released.status_code == 200 and released.json()["status"] == "unassigned"
        # Claiming the conflicted enterprise's demand is refused.
        assert (await c.post(f"/api/v1/demands/{ids[0]}/claim")).json()["code"] == "demand_not_claimable"
    async with client(staff("officer")) as c:
        run = (await c.post("/api/v1/assignments/runs")).json()
        assert [a["broker_id"] for a in run["assigned"]] == [b_pack["id"]]
        assert [a["demand_id"] for a in run["assigned"]] == [ids[3]]


async def test_claim_respects_conflict_and_capacity(client) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(9)
    conflicted, fine = make_uscc(rng), make_uscc(rng)
    async with client(staff("officer")) as c:
        # A broker with no matching specialty never gets demands automatically, but may claim them.
        b = (
            await c.post(
                "/api/v1/brokers", json=broker("b-claim", chains=["new_materials"], fields=[], capacity=1)
            )
        ).json()
        await c.post(f"/api/v1/brokers/{b['id']}/conflicts", json={"enterprise_uscc": conflicted})
        d1 = await submit_approved(c, conflicted, "semiconductor", "ic_design")
        d2 = await submit_approved(c, fine, "semiconductor", "ic_design")
        d3 = await submit_approved(c, fine, "semiconductor", "ic_design")
        for d in (d1, d2, d3):
            assert (await c.post(f"/api/v1/demands/{d}/review", json={"decision": "approve"})).json()[
                "status"
            ] == "unassigned"
    async with client(staff("broker", subject="b-claim")) as c:
        r = await c.post(f"/api/v1/demands/{d1}/claim")
        assert r.status_code == 409 and r.json()["code"] == "conflict_of_interest"
        r = await c.post(f"/api/v1/demands/{d2}/claim")
        assert (
            r.status_code == 200
            and r.json()["broker_id"] == b["id"]
            and r.json()["assignment_mode"] == "claim"
        )
        r = await c.post(f"/api/v1/demands/{d3}/claim")
        assert r.status_code == 409 and r.json()["code"] == "capacity_exhausted"
    async with client(staff("broker", subject="not-registered")) as c:
        assert (await c.post(f"/api/v1/demands/{d3}/claim")).json()["code"] == "not_a_broker"


async def test_maintaining_a_broker_opens_room_for_the_queue(client) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(13)
    uscc, conflicted = make_uscc(rng), make_uscc(rng)
    async with client(staff("officer")) as c:
        b = (
            await c.post(
                "/api/v1/brokers",
                json=broker("b-maint", chains=["semiconductor"], fields=["ic_design"], capacity=1),
            )
        ).json()
        await c.post(
            f"/api/v1/brokers/{b['id']}/conflicts", json={"enterprise_uscc": conflicted, "reason": "亲属"}
        )
        ids = [await submit_approved(c, uscc, "semiconductor", "ic_design") for _ in range(2)]
        ids.append(await submit_approved(c, conflicted, "semiconductor", "ic_design"))
        reviewed = [
            (await c.post(f"/api/v1/demands/{i}/review", json={"decision": "approve"})).json()["status"]
            for i in ids
        ]
        assert reviewed == ["assigned", "unassigned", "unassigned"]

        # More capacity: the waiting demand is assigned at once; the conflicted one still waits.
        r = await c.patch(f"/api/v1/brokers/{b['id']}", json={"monthly_capacity": 3})
        assert r.status_code == 200, r.text
        detail = r.json()
        assert detail["monthly_capacity"] == 3 and detail["assigned_this_month"] == 2
        assert detail["conflicts"] == [{"enterprise_uscc": conflicted, "reason": "亲属"}]
        assert (await c.get(f"/api/v1/demands/{ids[1]}")).json()["broker_id"] == b["id"]
        assert (await c.get(f"/api/v1/demands/{ids[2]}")).json()["status"] == "unassigned"

        # Out of service: no longer listed, and nothing is assigned to it.
        r = await c.patch(f"/api/v1/brokers/{b['id']}", json={"active": False, "certification": "高级"})
        assert r.status_code == 200 and r.json()["active"] is False and r.json()["certification"] == "高级"
        listed = (await c.get("/api/v1/brokers", params={"industry_chain": "semiconductor"})).json()["items"]
        assert b["id"] not in [x["id"] for x in listed]
        later = await submit_approved(c, uscc, "semiconductor", "ic_design")
        assert (await c.post(f"/api/v1/demands/{later}/review", json={"decision": "approve"})).json()[
            "status"
        ] == "unassigned"
        # Back in service with room left: the queue is tried again.
        r = await c.patch(f"/api/v1/brokers/{b['id']}", json={"active": True})
        assert r.json()["assigned_this_month"] == 3
        assert (await c.get(f"/api/v1/demands/{later}")).json()["broker_id"] == b["id"]

        for body, field in [
            ({"monthly_capacity": -1}, "monthly_capacity"),
            ({"name": None}, "name"),
            ({"chains": ["造船"]}, "chains"),
            ({"certification": "特级"}, "certification"),
            ({"subject": "other"}, "subject"),
        ]:
            r = await c.patch(f"/api/v1/brokers/{b['id']}", json=body)
            assert r.status_code == 422 and r.json()["field"] == field, (body, r.text)
        missing = await c.patch("/api/v1/brokers/00000000-0000-0000-0000-000000000000", json={"active": True})
        assert missing.status_code == 404 and missing.json()["code"] == "broker_not_found"
    async with client(staff("broker", subject="b-maint")) as c:
        assert (await c.patch(f"/api/v1/brokers/{b['id']}", json={"monthly_capacity": 50})).status_code == 403
        mine = await c.get(f"/api/v1/brokers/{b['id']}")
        assert mine.status_code == 200 and mine.json()["monthly_capacity"] == 3
    async with client(staff("officer")) as c:
        await c.patch(f"/api/v1/brokers/{b['id']}", json={"active": False})
        spare = await submit_approved(c, uscc, "new_energy", "solid_state_battery")
        await c.post(f"/api/v1/demands/{spare}/review", json={"decision": "approve"})
    async with client(staff("broker", subject="b-maint")) as c:
        r = await c.post(f"/api/v1/demands/{spare}/claim")
        assert r.status_code == 409 and r.json()["code"] == "broker_inactive"


async def test_the_queue_says_why_each_demand_waits(client) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(17)
    conflicted, other = make_uscc(rng), make_uscc(rng)
    async with client(staff("officer")) as c:
        b = (
            await c.post(
                "/api/v1/brokers", json=broker("b-queue", chains=["semiconductor"], fields=[], capacity=1)
            )
        ).json()
        await c.post(f"/api/v1/brokers/{b['id']}/conflicts", json={"enterprise_uscc": conflicted})
        nobody = await submit_approved(c, other, "commercial_aerospace", "aerospace")
        conflict = await submit_approved(c, conflicted, "semiconductor", "ic_design")
        first = await submit_approved(c, other, "semiconductor", "ic_design")
        full = await submit_approved(c, other, "semiconductor", "ic_design")
        energy = await submit_approved(c, other, "new_energy", "solid_state_battery")
        pending = await submit_approved(c, other, "semiconductor", "ic_design")  # never approved
        for d in (nobody, conflict, first, full, energy):
            await c.post(f"/api/v1/demands/{d}/review", json={"decision": "approve"})
        # A broker registered after the approvals: the energy demand can be taken at the next run.
        await c.post("/api/v1/brokers", json=broker("b-energy", chains=["new_energy"], fields=[], capacity=1))

        r = await c.get("/api/v1/demands/queue")
        assert r.status_code == 200, r.text
        queue = {i["demand"]["id"]: i for i in r.json()["items"]}
        assert set(queue) == {nobody, conflict, full, energy}  # not the assigned one, not the pending one
        assert first not in queue and pending not in queue
        got = {
            d: (queue[d]["reason"], queue[d]["covering_brokers"], queue[d]["eligible_with_room"])
            for d in queue
        }
        assert got == {
            nobody: ("no_broker_covers", 0, 0),
            conflict: ("only_conflicted", 1, 0),
            full: ("capacity_full", 1, 0),
            energy: ("awaiting_run", 1, 1),
        }
        assert all(i["detail"] and i["waiting_since"] for i in queue.values())
        semi = (await c.get("/api/v1/demands/queue", params={"industry_chain": "半导体"})).json()["items"]
        assert {i["demand"]["id"] for i in semi} == {conflict, full}
        bad = await c.get("/api/v1/demands/queue", params={"industry_chain": "造船"})
        assert bad.status_code == 422 and bad.json()["field"] == "industry_chain"

        run = (await c.post("/api/v1/assignments/runs")).json()
        assert [a["demand_id"] for a in run["assigned"]] == [energy]
        after = (await c.get("/api/v1/demands/queue")).json()["items"]
        assert {i["demand"]["id"] for i in after} == {nobody, conflict, full}
    async with client(partner("matching:read")) as c:
        assert (await c.get("/api/v1/demands/queue")).status_code == 403


async def test_a_conflict_declared_later_moves_unstarted_demands_to_another_broker(client) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(21)
    uscc = make_uscc(rng)
    async with client(staff("officer")) as c:
        senior = (
            await c.post(
                "/api/v1/brokers",
                json=broker(
                    "b-late-1", chains=["semiconductor"], fields=["ic_design"], capacity=2, cert="高级"
                ),
            )
        ).json()
        other = (
            await c.post(
                "/api/v1/brokers", json=broker("b-late-2", chains=["semiconductor"], fields=[], capacity=2)
            )
        ).json()
        started = await submit_approved(c, uscc, "semiconductor", "ic_design")
        unstarted = await submit_approved(c, uscc, "semiconductor", "ic_design")
        for d in (started, unstarted):
            r = (await c.post(f"/api/v1/demands/{d}/review", json={"decision": "approve"})).json()
            assert r["broker_id"] == senior["id"]
    async with client(staff("broker", subject="b-late-1")) as c:
        assert (
            await c.post(f"/api/v1/demands/{started}/stages", json={"stage": "recommended"})
        ).status_code == 200
        r = await c.post(
            f"/api/v1/brokers/{senior['id']}/conflicts", json={"enterprise_uscc": uscc, "reason": "新近持股"}
        )
        assert r.status_code == 204
    async with client(staff("officer")) as c:
        moved = (await c.get(f"/api/v1/demands/{unstarted}")).json()
        assert moved["broker_id"] == other["id"] and moved["status"] == "assigned"
        history = (await c.get(f"/api/v1/demands/{unstarted}/engagement")).json()["history"]
        assert [h["stage"] for h in history] == ["intake", "assigned", "intake", "assigned"]
        assert history[2]["note"] == "申报利益冲突，自动释放"
        # Work already under way stays with the broker; an officer decides.
        kept = (await c.get(f"/api/v1/demands/{started}")).json()
        assert kept["broker_id"] == senior["id"] and kept["stage"] == "recommended"


async def test_a_released_demand_is_not_given_back_to_the_broker_who_released_it(client) -> None:  # type: ignore[no-untyped-def]
    uscc = make_uscc(random.Random(29))
    async with client(staff("officer")) as c:
        best = (
            await c.post(
                "/api/v1/brokers",
                json=broker(
                    "b-rel-1", chains=["semiconductor"], fields=["ic_design"], capacity=2, cert="高级"
                ),
            )
        ).json()
        second = (
            await c.post(
                "/api/v1/brokers", json=broker("b-rel-2", chains=["semiconductor"], fields=[], capacity=2)
            )
        ).json()
        d = await submit_approved(c, uscc, "semiconductor", "ic_design")
        assert (await c.post(f"/api/v1/demands/{d}/review", json={"decision": "approve"})).json()[
            "broker_id"
        ] == best["id"]
    async with client(staff("broker", subject="b-rel-1")) as c:
        assert (await c.post(f"/api/v1/demands/{d}/release", json={"note": "档期已满"})).status_code == 200
    async with client(staff("officer")) as c:
        run = (await c.post("/api/v1/assignments/runs")).json()
        # The best-affinity broker has room, but released it: the next broker takes it.
        assert [(a["demand_id"], a["broker_id"]) for a in run["assigned"]] == [(d, second["id"])]
    async with client(staff("broker", subject="b-rel-2")) as c:
        assert (await c.post(f"/api/v1/demands/{d}/release")).status_code == 200
    async with client(staff("officer")) as c:
        run = (await c.post("/api/v1/assignments/runs")).json()
        assert run["assigned"] == [] and run["waiting"] == [d]
        queue = (await c.get("/api/v1/demands/queue")).json()["items"]
        assert [(i["demand"]["id"], i["reason"], i["eligible_brokers"]) for i in queue] == [
            (d, "released_by_all", 0)
        ]
    # Released is not barred: the broker may still claim it.
    async with client(staff("broker", subject="b-rel-1")) as c:
        claimed = await c.post(f"/api/v1/demands/{d}/claim")
        assert claimed.status_code == 200 and claimed.json()["broker_id"] == best["id"]
