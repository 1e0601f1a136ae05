"""The graph IR (Node, Graph, GraphModule) and the Interpreter that runs it."""
from .graph import Graph, Node, map_arg  # noqa: F401
from .graph_module import GraphModule  # noqa: F401
from .interpreter import GraphRunError, Interpreter  # noqa: F401
