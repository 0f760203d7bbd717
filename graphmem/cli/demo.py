"""`graphmem demo`: ingest a bundled sample conversation, then show what the memory believes.

The sample's turns carry their facts as annotations and are written with `add_relation`, so the
demo shows the versioned store on its own: repeats become NOOPs, a move and a job change become
UPDATEs of the same memory, and the history keeps every version.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from ..memory import Memory


def add_command(sub: Any) -> None:
    """Register `demo` on the main parser's subparsers."""
    sub.add_parser("demo", help="ingest a sample conversation and show facts and a history")


def load_sample() -> dict[str, Any]:
    """The bundled sample conversation."""
    text = resources.files("graphmem").joinpath("data/demo_conversation.json").read_text("utf-8")
    return json.loads(text)


def run_demo(memory: Memory, out: TextIO) -> dict[str, Any]:
    """Ingest the sample into a clean `demo` scope and print facts and one version history."""
    sample = load_sample()
    user = sample["user_id"]
    memory.delete_all(user_id=user)
    print(f"Ingesting {len(sample['turns'])} turns for user '{user}'...\n", file=out)
    job_memory = None
    for turn in sample["turns"]:
        episode = memory.add(
            {"role": "user", "content": turn["content"], "name": sample["speaker"]},
            user_id=user,
            timestamp=turn["at"],
            infer=False,  # the sample's facts are annotated; add_relation writes them below
        )["results"][0]
        print(f"[{turn['at'][:10]}] {sample['speaker']}: {turn['content']}", file=out)
        for subject, relation, obj in turn["facts"]:
            event = memory.add_relation(
                subject, relation, obj, user_id=user, source=episode["id"], valid_from=turn["at"]
            )["results"][0]
            note = f"  (was: {event['previous_memory']})" if event.get("previous_memory") else ""
            print(f"    {event['event']:<6} {event['memory']}{note}", file=out)
            if subject == sample["speaker"] and relation == "WORKS_AT":
                job_memory = event["id"]
    current = memory.get_all(user_id=user)["results"]
    print(f"\nCurrent facts ({len(current)}):", file=out)
    for fact in sorted(current, key=lambda f: (f["source"], f["relationship"], f["target"])):
        since = f"  since {fact['valid_from'][:10]}" if fact["valid_from"] else ""
        print(
            f"  ({fact['source']})-[:{fact['relationship']}]->({fact['target']}){since}", file=out
        )
    history = memory.history(job_memory) if job_memory else []
    print(f"\nHistory of memory {job_memory} (where {sample['speaker']} works):", file=out)
    for h in history:
        valid = f"valid {(h['valid_from'] or '?')[:10]} .. {(h['valid_to'] or 'now')[:10]}"
        print(
            f"  v{h['version']} {h['event']:<6} {h['new_memory'] or h['old_memory']:<28}"
            f" {valid}  [{h['status']}]",
            file=out,
        )
    print(
        "\nRun graphmem against Neo4j (NEO4J_URI) to browse this graph in Neo4j Browser with the "
        "saved queries and style in cypher/browser/.",
        file=out,
    )
    return {"facts": current, "history": history}
