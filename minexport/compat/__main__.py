"""python -m minexport.compat script.py [args...]: run a torch-written script on minexport."""
import sys

from . import main

sys.exit(main())
