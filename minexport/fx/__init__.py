"""The graph IR (Node, Graph, GraphModule) and the Interpreter that runs it."""
from .graph import Graph, Node, map_arg
from .graph_module import GraphModule
from .interpreter import GraphRunError, Interpreter
