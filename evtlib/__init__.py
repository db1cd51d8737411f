"""evtlib: executable models of Xen event channels (2-level, 3-level, FIFO)."""

from .core import EventChannels, EvtchnOps, NestedUpcallError, UpcallLimitError
from .fifo import Fifo
from .limits import LimitRow, limits, limits_text
from .records import Counters, Snapshot, Step
from .schemes import SCHEMES, make_scheme
from .threelevel import ThreeLevel
from .twolevel import TwoLevel

__all__ = [
    "EventChannels", "EvtchnOps", "NestedUpcallError", "UpcallLimitError",
    "Fifo", "ThreeLevel", "TwoLevel", "SCHEMES", "make_scheme",
    "LimitRow", "limits", "limits_text", "Counters", "Snapshot", "Step",
]
