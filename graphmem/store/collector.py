"""Short garbage-collector passes while the embedded engine's JVM shares this process.

JPype links Python's collector to Java's: a Java collection triggers a full Python collection,
and the JVM collects often while the engine answers queries. A full pass walks every tracked
object, and a process holding the engine, spaCy and the embedding model tracks about half a
million of them (mostly modules, functions and model objects that live as long as the
process): every such pass stalled the thread that hit it, search's whole tail in
`benchmarks/results/conversation_search.json`.

`settle()` moves everything alive now into the collector's permanent generation
(`gc.freeze()`), so later passes walk only what was made since. It is called when the engine
starts in this process and when a model finishes loading; in a process without the JVM it
does nothing. The cost: objects alive at that moment that later become garbage *in a
reference cycle* are not reclaimed (plain reference counting still frees the rest).
"""

from __future__ import annotations

import gc
import sys


def settle() -> None:
    """Freeze the objects alive now out of the collector's walks, if a JVM runs here."""
    jpype = sys.modules.get("jpype")
    if jpype is None or not jpype.isJVMStarted():
        return
    gc.collect()
    gc.freeze()
