"""mlax.lax: the primitives, one function per mlax op, with lax's strict typing
(primitives.py), and structured control flow whose bodies become functions in the IR
(control_flow.py)."""
from mlax.lax.primitives import *  # noqa: F401,F403
from mlax.lax.control_flow import cond, switch, while_loop, fori_loop, scan, map  # noqa: F401
