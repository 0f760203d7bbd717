"""Documents and images given to `add` as content parts (mem0's shapes).

A message's ``content`` may be a text, one part, or a list of parts::

    {"type": "text", "text": "..."}
    {"type": "image_url", "image_url": {"url": "data:image/png;base64,..."}}
    {"type": "pdf_url", "pdf_url": {"url": "https://.../report.pdf"}}
    {"type": "mdx_url", "mdx_url": {"url": "data:text/markdown;base64,..."}}

* `sources`: a part's URL as bytes: a ``data:`` URI, or an http(s) URL fetched only when
  `documents.fetch_urls` is on; `documents.max_bytes` bounds both.
* `pdf`, `markdown`, `text`: a document's text, split into pieces (pages; sections under
  their headings; paragraphs), each at most `text.MAX_PIECE` characters.
* `parts`: the messages an `add` call stores, one per text part and document piece (its
  place in `metadata["document"]`, its document's id), and one per image (kept for the
  LLM extractor's one call, which is shown the image).
"""
