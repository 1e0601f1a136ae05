"""The graph IR (Node, Graph, GraphModule), torch.fx's editing and running API over it, and symbolic tracing."""
from . import subgraph_rewriter
from ._symbolic_trace import Tracer, symbolic_trace
from .graph import Graph, Node, map_arg
from .graph_module import GraphModule
from .interpreter import GraphRunError, Interpreter, Transformer
from .proxy import Proxy
