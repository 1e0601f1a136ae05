"""minexport.nn: Module, Parameter, layers, functional and init, as torch.nn."""
from . import functional, init
from .module import Module
from .modules import *  # noqa: F403
from .parameter import Buffer, Parameter
from . import utils
