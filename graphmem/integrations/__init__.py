"""The agent frameworks' own interfaces over graphmem, one module per framework.

* `graphmem.integrations.langgraph`: `GraphmemStore`, LangGraph's `BaseStore` over a `Memory`
  (``pip install 'graphmem[langgraph]'``); its items' mapping onto episodes lives in
  `graphmem.integrations.langgraph_items`, which needs no LangGraph.
* `graphmem.integrations.openai_agents`: the memory tools as OpenAI Agents SDK
  `FunctionTool`s, and its MCP client pointed at ``graphmem mcp``
  (``pip install 'graphmem[agents]'``).

Each framework module imports its framework when it is imported, and says which extra to
install when the framework is missing (`missing_extra`). `graphmem.tools` stays
framework-neutral: these modules only adapt its definitions.
"""

from __future__ import annotations


def missing_extra(module: str, framework: str, extra: str) -> ImportError:
    """The error a framework module raises when its framework is not installed.

    >>> print(missing_extra("graphmem.integrations.langgraph", "LangGraph", "langgraph"))
    graphmem.integrations.langgraph needs LangGraph: pip install 'graphmem[langgraph]'
    """
    return ImportError(f"{module} needs {framework}: pip install 'graphmem[{extra}]'")
