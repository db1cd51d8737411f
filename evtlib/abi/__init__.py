"""Layer ``abi``: what Xen and the Linux guest do, one call at a time.

The bottom layer. Each event-channel ABI is one module behind the
:class:`~evtlib.abi.core.EvtchnOps` hooks (``twolevel``, ``threelevel``,
``fifo``); ``core`` is the scheme-free part (bindings, Linux's upcall
loop, step recording); ``checks`` holds the input checks every layer uses;
``schemes`` is the one place that maps names to classes; ``limits`` reads port limits and memory off the classes; ``dumps``
renders a model's state as 72-column text for its ``dump()``.

May import: the standard library and numpy only, never another evtlib layer.
A new ABI goes here: one module subclassing ``EventChannels``, one line in
``schemes.SCHEMES``.
"""

from .checks import check_choice, check_flag, check_int
from .core import EventChannels, EvtchnOps, NestedUpcallError, UpcallLimitError
from .fifo import Fifo
from .lateeoi import LoopCtrl
from .limits import BoundMemory, LimitRow, bound_memory, limits, limits_text
from .records import Counters, Snapshot, Step
from .schemes import SCHEMES, make_scheme
from .switch import switch_to_fifo
from .threelevel import ThreeLevel
from .twolevel import TwoLevel

__all__ = [
    "EventChannels", "EvtchnOps", "NestedUpcallError", "UpcallLimitError", "check_choice",
    "check_flag", "check_int", "Fifo", "BoundMemory", "LimitRow", "bound_memory", "limits",
    "limits_text", "Counters", "Snapshot", "Step", "SCHEMES", "make_scheme", "ThreeLevel",
    "TwoLevel", "LoopCtrl", "switch_to_fifo",
]
