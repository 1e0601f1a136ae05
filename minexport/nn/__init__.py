"""minexport.nn: Module, Parameter, layers, functional and init, as torch.nn."""
from . import functional, init  # noqa: F401
from .module import Module  # noqa: F401
from .modules import *  # noqa: F401,F403
from .parameter import Buffer, Parameter  # noqa: F401
