"""`feedback`: kept as data (history, changes, export), ranking moved by it, VERY_NEGATIVE
retracting, extraction learning what an owner marked wrong (offline and LLM), and nothing of
it reaching another owner. REST and MCP routes are in test_server_rest.py / test_server_mcp.py."""

from __future__ import annotations

import contextlib
import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphmem import Memory
from graphmem.errors import NotFoundError, ValidationError
from graphmem.feedback import WRONG_TIMES
from graphmem.search.ranking import with_feedback
from graphmem.times import now_iso

from .openai_stub import completion, openai_server


def _fact(memory: Memory, user: str, subject: str, relation: str, obj: str) -> str:
    return memory.add_relation(subject, relation, obj, user_id=user)["results"][0]["id"]


def _likes(memory: Memory, user: str) -> list[str]:
    return sorted(
        f["target"] for f in memory.get_all(user_id=user)["results"] if f["relationship"] == "LIKES"
    )


def test_feedback_is_kept_in_history_changes_get_and_export(memory: Memory, user: str) -> None:
    since = now_iso()
    tea = _fact(memory, user, "Ann", "LIKES", "tea")
    out = memory.feedback(tea, "positive", reason="she said so", by="agent-7")
    record = out["feedback"]
    assert (record["memory_id"], record["feedback"], record["reason"], record["by"]) == (
        tea,
        "POSITIVE",
        "she said so",
        "agent-7",
    )
    assert record["user_id"] == user and out["results"] == []
    assert memory.get(tea)["feedback"] == "POSITIVE"

    history = memory.history(tea)
    assert [e["event"] for e in history] == ["ADD", "FEEDBACK"]
    assert (history[1]["feedback"], history[1]["reason"], history[1]["by"]) == (
        "POSITIVE",
        "she said so",
        "agent-7",
    )
    assert history[1]["version"] == 1 and history[1]["updated_at"] >= history[0]["updated_at"]

    memory.update(tea, "green tea")
    memory.feedback(tea, "NEGATIVE")
    assert [(e["event"], e["version"]) for e in memory.history(tea)] == [
        ("ADD", 1),
        ("FEEDBACK", 1),
        ("UPDATE", 2),
        ("FEEDBACK", 2),
    ]
    assert memory.get(tea)["feedback"] == "NEGATIVE"  # the new version's own feedback
    changes = memory.changes(since=since, user_id=user)["results"]
    assert [e["event"] for e in changes] == ["ADD", "FEEDBACK", "UPDATE", "FEEDBACK"]

    doc = memory.export(user_id=user)
    judged = [n for n in doc["nodes"] if n["labels"] == ["Feedback"]]
    assert sorted(n["properties"]["feedback"] for n in judged) == ["NEGATIVE", "POSITIVE"]
    memory.delete_all(user_id=user)
    assert memory.export(user_id=user)["nodes"] == []  # delete_all erases feedback too
    memory.import_(json.loads(json.dumps(doc)))
    assert [e["event"] for e in memory.history(tea)] == ["ADD", "FEEDBACK", "UPDATE", "FEEDBACK"]


def test_bad_feedback_is_a_typed_error(memory: Memory, user: str) -> None:
    tea = _fact(memory, user, "Ann", "LIKES", "tea")
    with pytest.raises(ValidationError, match="POSITIVE, NEGATIVE, VERY_NEGATIVE"):
        memory.feedback(tea, "MEH")
    with pytest.raises(ValidationError, match="reason"):
        memory.feedback(tea, "POSITIVE", reason=42)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="reason"):
        memory.feedback(tea, "POSITIVE", reason="x" * 2001)
    with pytest.raises(NotFoundError, match="does not exist"):
        memory.feedback("LIKES-" + "0" * 32, "POSITIVE")
    memory.delete(tea)
    with pytest.raises(NotFoundError, match="deleted"):
        memory.feedback(tea, "NEGATIVE")
    assert [e["event"] for e in memory.history(tea)] == ["ADD", "DELETE"]  # nothing recorded


def test_negative_feedback_ranks_lower_and_positive_higher(memory: Memory, user: str) -> None:
    tea = _fact(memory, user, "Ann", "LIKES", "tea")
    coffee = _fact(memory, user, "Ann", "LIKES", "coffee")

    def scores() -> dict[str, tuple[float, dict[str, Any]]]:
        found = memory.search("What does Ann like?", user_id=user, explain=True)["results"]
        return {r["id"]: (r["score"], r["explanation"]) for r in found if r["type"] == "fact"}

    before = scores()
    top = max((tea, coffee), key=lambda m: before[m][0])
    other = coffee if top == tea else tea
    memory.feedback(top, "NEGATIVE", reason="wrong")
    after = scores()
    assert after[top][0] == pytest.approx(before[top][0] * 0.5, abs=1e-5)
    assert after[top][1]["feedback"] == "NEGATIVE"
    assert after[top][0] < after[other][0]
    memory.feedback(other, "POSITIVE")
    lifted = scores()
    assert lifted[other][0] == pytest.approx(with_feedback(before[other][0], "POSITIVE"), abs=1e-5)
    assert all(0.0 <= s <= 1.0 for s, _ in lifted.values())


def test_very_negative_retracts_and_restores_what_it_replaced(memory: Memory, user: str) -> None:
    home = _fact(memory, user, "Ann", "LIVES_IN", "Lima")
    memory.update(home, "Oslo")
    out = memory.feedback(home, "VERY_NEGATIVE", reason="she never moved")
    assert [(e["event"], e["target"], e["status"]) for e in out["results"]] == [
        ("DELETE", "Oslo", "retracted"),
        ("UPDATE", "Lima", "current"),
    ]
    now = memory.get(home)
    assert (now["target"], now["version"], now["status"]) == ("Lima", 3, "current")
    statuses = [(e["event"], e["version"], e.get("status")) for e in memory.history(home)]
    assert statuses == [
        ("ADD", 1, "superseded"),
        ("UPDATE", 2, "retracted"),
        ("FEEDBACK", 2, None),
        ("UPDATE", 3, "current"),
    ]
    found = memory.search("Where does Ann live?", user_id=user)["results"]
    assert "Ann lives in Oslo" not in [r["memory"] for r in found]


def test_a_pattern_marked_wrong_twice_is_not_extracted_again(memory: Memory, user: str) -> None:
    first = memory.add("I love jazz.", user_id=user)["results"]
    assert [(e["relationship"], e["target"]) for e in first] == [("LIKES", "jazz")]
    jazz = first[0]["id"]
    memory.feedback(jazz, "NEGATIVE", reason="sarcasm")
    assert WRONG_TIMES == 2
    memory.feedback(jazz, "VERY_NEGATIVE", reason="really not")  # the second wrong mark
    assert _likes(memory, user) == []

    assert memory.add("I love jazz so much.", user_id=user)["results"] == []
    again = memory.add_many([{"messages": "I love jazz!", "user_id": user}])
    assert again[0]["results"] == []
    assert _likes(memory, user) == []

    other = f"{user}-other"  # another owner still learns it
    assert [e["target"] for e in memory.add("I love jazz.", user_id=other)["results"]] == ["jazz"]

    # An explicit fact says otherwise: the marks are cleared, extraction learns it again.
    stated = memory.add_relation(user, "LIKES", "jazz", user_id=user)["results"][0]
    memory.delete(stated["id"])
    assert [e["target"] for e in memory.add("I love jazz.", user_id=user)["results"]] == ["jazz"]
    cleared = [e for e in memory.history(jazz) if e["event"] == "FEEDBACK"]
    assert len(cleared) == 2 and all(e["cleared_at"] for e in cleared)


def test_positive_feedback_clears_the_wrong_marks(memory: Memory, user: str) -> None:
    a = memory.add("I love chess.", user_id=user)["results"][0]["id"]
    memory.feedback(a, "NEGATIVE")
    memory.feedback(a, "NEGATIVE")
    memory.delete(a)
    assert memory.add("I love chess.", user_id=user)["results"] == []
    b = _fact(memory, user, "Bob", "LIKES", "chess")  # clears too, so mark twice again
    memory.feedback(b, "NEGATIVE")
    memory.feedback(b, "NEGATIVE")
    assert memory.add("I love chess.", user_id=user)["results"] == []
    memory.feedback(b, "POSITIVE")
    assert [e["target"] for e in memory.add("I love chess.", user_id=user)["results"]] == ["chess"]


def test_the_llm_is_shown_what_was_marked_wrong_and_its_facts_dropped(
    server: Memory, config: dict[str, Any], user: str
) -> None:
    jazz = server.add_relation(user, "LIKES", "jazz", user_id=user)["results"][0]["id"]
    server.feedback(jazz, "NEGATIVE")
    server.feedback(jazz, "VERY_NEGATIVE")
    relations = [
        {"subject": user, "relation": "LIKES", "object": "Jazz", "event": "ADD"},
        {"subject": user, "relation": "LIKES", "object": "blues", "event": "ADD"},
    ]

    def respond(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        content = json.dumps({"entities": [], "relations": relations})
        return 200, completion(content)

    llm = {"model": "scripted", "api_key": "k"}
    with (
        openai_server(respond) as (base_url, received),
        Memory({**config, "extractor": "llm", "llm": {**llm, "base_url": base_url}}) as m,
    ):
        out = m.add("I like jazz and blues", user_id=user)
    assert len(received) == 1  # still one call per add
    prompt = received[0]["body"]["messages"][1]["content"]
    assert "<rejected_facts>\n- LIKES jazz\n</rejected_facts>" in prompt
    assert [e["target"] for e in out["results"]] == ["blues"]


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(kinds=st.lists(st.sampled_from(["POSITIVE", "NEGATIVE", "VERY_NEGATIVE"]), min_size=1))
def test_feedback_never_changes_another_owners_ranking_or_facts(
    memory: Memory, kinds: list[str]
) -> None:
    mine, theirs = f"fb-{uuid.uuid4().hex[:8]}", f"fb-{uuid.uuid4().hex[:8]}"
    for owner in (mine, theirs):
        for obj in ("tea", "coffee", "jazz"):
            _fact(memory, owner, "Ann", "LIKES", obj)
        memory.add("I love chess.", user_id=owner)

    def state(owner: str) -> Any:
        found = memory.search("What does Ann like?", user_id=owner)["results"]
        facts = memory.get_all(user_id=owner)["results"]
        return (
            [(r["memory"], r["score"]) for r in found],
            sorted((f["memory"], f["version"], f["status"], f["feedback"]) for f in facts),
        )

    before = state(theirs)
    targets = [f["id"] for f in memory.get_all(user_id=mine)["results"]]
    for i, kind in enumerate(kinds):
        with contextlib.suppress(NotFoundError):  # retracted by an earlier VERY_NEGATIVE
            memory.feedback(targets[i % len(targets)], kind)
    assert state(theirs) == before
    assert memory.add("I love chess.", user_id=theirs)["results"][0]["event"] == "NOOP"
