"""Documents and images as `add`'s content parts: PDFs (pypdf) page by page, Markdown section by
section, plain text by paragraphs, each piece an episode with its place in metadata and
extracted like a message; a document forgotten as a whole; URLs fetched only when turned on;
images sent to the LLM extractor's one call (the scripted OpenAI server), refused without a
model that takes them. The REST route is in test_server_rest.py."""

from __future__ import annotations

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from graphmem import Memory
from graphmem.documents.text import MAX_PIECE, pieces
from graphmem.errors import NotFoundError, ValidationError

from .helpers.pdf import make_pdf
from .openai_stub import completion, openai_server

PNG = base64.b64decode(  # a 1x1 transparent PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


def data_uri(media_type: str, data: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(data).decode()}"


def part(kind: str, url: str) -> dict[str, Any]:
    return {"type": kind, kind: {"url": url}}


def facts(memory: Memory, user: str) -> list[str]:
    return sorted(f["memory"] for f in memory.get_all(user_id=user)["results"])


def test_a_pdf_becomes_one_episode_per_page_and_is_forgotten_whole(
    memory: Memory, user: str
) -> None:
    pdf = make_pdf(["I live in Lima.", "", "I work at Acme."])  # page 2 has no text
    out = memory.add(
        {"role": "user", "content": part("pdf_url", data_uri("application/pdf", pdf))},
        user_id=user,
        metadata={"source": "cv"},
    )
    [document] = out["documents"]
    assert (document["type"], document["parts"], document["url"]) == ("pdf", 2, None)
    episodes = out["episodes"]
    assert [e["memory"] for e in episodes] == ["I live in Lima.", "I work at Acme."]
    assert [e["metadata"]["document"]["page"] for e in episodes] == [1, 3]
    assert all(e["metadata"]["source"] == "cv" for e in episodes)  # the call's metadata kept
    assert {e["document_id"] for e in episodes} == {document["id"]}
    assert facts(memory, user) == [f"{user} lives in Lima", f"{user} works at Acme"]
    lima = next(e for e in out["results"] if e["target"] == "Lima")
    assert memory.history(lima["id"], sources=True)[0]["sources"][0]["content"] == (
        "I live in Lima."
    )

    memory.add("I live in Lima.", user_id=user)  # a chat turn teaches Lima again
    forgotten = memory.forget_document(document["id"], user_id=user)
    assert forgotten["episodes"] == [e["id"] for e in episodes]
    assert [e["event"] for e in forgotten["results"]] == ["DELETE"]  # Acme; Lima keeps a source
    assert facts(memory, user) == [f"{user} lives in Lima"]
    with pytest.raises(NotFoundError, match="no document"):
        memory.forget_document(document["id"], user_id=user)
    with pytest.raises(NotFoundError, match="no document"):
        memory.forget_document(document["id"], user_id=f"{user}-other")


def test_forgetting_a_document_restores_what_was_true_before_it(memory: Memory, user: str) -> None:
    memory.add("I live in Lima.", user_id=user)
    pdf = make_pdf(["I live in Quito.", "I live in Cusco."])  # two moves in one document
    out = memory.add({"content": part("pdf_url", data_uri("application/pdf", pdf))}, user_id=user)
    assert [e["event"] for e in out["results"]] == ["UPDATE", "UPDATE"]
    assert facts(memory, user) == [f"{user} lives in Cusco"]
    forgotten = memory.forget_document(out["documents"][0]["id"], user_id=user)
    assert [(e["event"], e["memory"]) for e in forgotten["results"]] == [
        ("DELETE", f"{user} lives in Cusco"),
        ("UPDATE", f"{user} lives in Lima"),
    ]
    assert facts(memory, user) == [f"{user} lives in Lima"]


def test_markdown_by_section_plain_text_by_paragraph_and_text_parts_in_order(
    memory: Memory, user: str
) -> None:
    markdown = "# Home\nI live in Oslo.\n\n## Work\nI work at Globex.\n```\n# not a heading\n```"
    content = [
        {"type": "text", "text": "I like tea."},
        part("mdx_url", data_uri("text/markdown", markdown.encode())),
        part("mdx_url", "data:,I%20love%20chess.%0A%0AI%20hate%20golf."),  # text/plain
    ]
    out = memory.add({"role": "user", "content": content}, user_id=user)
    shown = [
        (e["memory"].splitlines()[0], (e["metadata"] or {}).get("document"))
        for e in out["episodes"]
    ]
    assert [text for text, _ in shown] == [
        "I like tea.",
        "I live in Oslo.",
        "I work at Globex.",
        "I love chess.",
    ]
    assert shown[0][1] is None
    assert [d["section"] for _, d in shown[1:3]] == ["Home", "Home > Work"]
    assert (shown[1][1]["type"], shown[3][1]["type"]) == ("markdown", "text")
    assert "section" not in shown[3][1] and "I hate golf." in out["episodes"][3]["memory"]
    assert len(out["documents"]) == 2
    before = facts(memory, user)
    assert {f"{user} likes tea", f"{user} lives in Oslo", f"{user} works at Globex"} <= set(before)
    # each fact cites the piece it was read from: forgetting the Markdown leaves the rest
    memory.forget_document(out["documents"][0]["id"], user_id=user)
    left = set(before) - {f"{user} lives in Oslo", f"{user} works at Globex"}
    assert set(facts(memory, user)) == left and f"{user} likes tea" in left


def test_long_text_is_cut_into_pieces_at_paragraphs() -> None:
    paragraph = "word " * 500  # 2,500 characters
    cut = pieces("\n\n".join([paragraph] * 5))
    assert all(len(p) <= MAX_PIECE for p in cut) and len(cut) == 5
    assert pieces("x" * (MAX_PIECE + 10)) == ["x" * MAX_PIECE, "x" * 10]
    assert pieces(" \n\n ") == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"type": "video_url", "video_url": {"url": "data:,x"}}, "must be a part with a type"),
        ({"type": "pdf_url"}, r'must look like \{"type": "pdf_url"'),
        (part("pdf_url", "data:application/pdf;base64,%%%"), "base64 does not decode"),
        (part("pdf_url", data_uri("application/pdf", b"%PDF-1.4 broken")), "not a readable PDF"),
        (part("pdf_url", data_uri("text/plain", b"hello")), "must hold a PDF"),
        (part("pdf_url", data_uri("application/pdf", make_pdf([""]))), "has no text"),
        (part("mdx_url", data_uri("image/png", PNG)), "must hold text"),
        (part("mdx_url", data_uri("text/plain", b"\xff\xfe\xfa")), "not UTF-8"),
        (part("mdx_url", "file:///etc/passwd"), "data: URI or an http"),
        (part("mdx_url", "https://example.com/notes.md"), "documents.fetch_urls: true"),
        (part("image_url", data_uri("image/png", PNG)), "llm.vision: true"),
        ([], "empty list of parts"),
    ],
)
def test_bad_parts_are_refused_before_anything_is_stored(
    memory: Memory, user: str, content: Any, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        memory.add([{"role": "user", "content": "I live in Rome."}, {"content": content}],
                   user_id=user)  # fmt: skip
    assert memory.get_all(user_id=user)["results"] == []
    with pytest.raises(ValidationError, match="only add takes those"):
        memory.add_many(
            [{"messages": {"content": [{"type": "text", "text": "x"}]}, "user_id": user}]
        )


def test_size_limits_hold_for_data_uris_and_fetched_urls(
    config: dict[str, Any], server: Memory, user: str
) -> None:
    small = {**config, "documents": {"max_bytes": 1024, "fetch_urls": True}}
    big = "x" * 2000
    with Memory(small) as m:
        with pytest.raises(ValidationError, match="more than documents.max_bytes"):
            m.add({"content": part("mdx_url", data_uri("text/plain", big.encode()))}, user_id=user)
        with serving({"/big.txt": ("text/plain", big.encode())}) as url:
            with pytest.raises(ValidationError, match="more than documents.max_bytes"):
                m.add({"content": part("mdx_url", f"{url}/big.txt")}, user_id=user)
            with pytest.raises(ValidationError, match="answered HTTP 404"):
                m.add({"content": part("mdx_url", f"{url}/missing.txt")}, user_id=user)
    pdf = make_pdf(["I live in Lima.", "I work at Acme."])
    with (
        Memory({**config, "documents": {"max_pages": 1}}) as m,
        pytest.raises(ValidationError, match="pages, more than documents.max_pages"),
    ):
        m.add({"content": part("pdf_url", data_uri("application/pdf", pdf))}, user_id=user)


def test_urls_are_fetched_when_turned_on(config: dict[str, Any], server: Memory, user: str) -> None:
    pdf = make_pdf(["I live in Quito."])
    with (
        serving({"/cv.pdf": ("application/pdf", pdf)}) as url,
        Memory({**config, "documents": {"fetch_urls": True}}) as m,
    ):
        out = m.add({"content": part("pdf_url", f"{url}/cv.pdf")}, user_id=user)
    assert out["documents"][0]["url"] == f"{url}/cv.pdf"
    assert out["episodes"][0]["metadata"]["document"]["url"] == f"{url}/cv.pdf"
    assert [e["memory"] for e in out["results"]] == [f"{user} lives in Quito"]


def test_images_go_to_the_llm_in_its_one_call(
    config: dict[str, Any], server: Memory, user: str
) -> None:
    relations = [{"subject": user, "relation": "LIKES", "object": "sailing", "event": "ADD"}]

    def respond(path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        return 200, completion(json.dumps({"entities": [], "relations": relations}))

    image = data_uri("image/png", PNG)
    content = [{"type": "text", "text": "Me last summer:"}, part("image_url", image)]
    llm = {"model": "scripted", "api_key": "k", "vision": True}
    with (
        openai_server(respond) as (base_url, received),
        Memory({**config, "extractor": "llm", "llm": {**llm, "base_url": base_url}}) as m,
    ):
        out = m.add({"role": "user", "content": content}, user_id=user)
        history = m.history(out["results"][0]["id"], sources=True)
    assert len(received) == 1  # one call per add, image included
    turn = received[0]["body"]["messages"][1]["content"]
    assert [p["type"] for p in turn] == ["text", "image_url"]
    assert turn[1]["image_url"]["url"] == image
    assert f"[image 1: image/png, {len(PNG)} bytes]" in turn[0]["text"]
    assert [e["memory"] for e in out["results"]] == [f"{user} likes sailing"]
    stand_in = out["episodes"][1]
    assert stand_in["metadata"]["image"] == {"media_type": "image/png", "bytes": len(PNG),
                                             "url": None}  # fmt: skip
    assert [s["content"] for s in history[0]["sources"]] == [
        "Me last summer:",
        stand_in["memory"],
    ]
    with (
        Memory({**config, "extractor": "llm", "llm": {**llm, "vision": False}}) as m,
        pytest.raises(ValidationError, match="llm.vision: true"),
    ):
        m.add({"content": content}, user_id=user)


class _Files(BaseHTTPRequestHandler):
    files: dict[str, tuple[str, bytes]] = {}

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        found = self.files.get(self.path)
        if found is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        media_type, data = found
        self.send_response(200)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


class serving:  # noqa: N801 (used as a context manager, like open)
    """A local file server for `files` ({path: (media type, bytes)}): its base URL."""

    def __init__(self, files: dict[str, tuple[str, bytes]]) -> None:
        handler = type("Files", (_Files,), {"files": files})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)

    def __enter__(self) -> str:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
