"""structlearn: classic neural-network structure-learning algorithms on one numpy network.

Net2Net, Dynamic Node Creation, Optimal Brain Damage and Cascade-Correlation
share one :class:`Network` representation (blocks with explicit sources), one
training loop (:func:`train`) and one :class:`History` format.
"""
from .version import __version__  # noqa: E402

from .activations import ACTIVATIONS, get_activation  # noqa: E402
from .losses import LOSSES, get_loss  # noqa: E402
from .network import Network  # noqa: E402
from .history import History  # noqa: E402
from .train import Trainer, evaluate, train  # noqa: E402
from . import optim  # noqa: E402

__all__ = ["Network", "History", "train", "Trainer", "evaluate", "ACTIVATIONS", "LOSSES", "get_activation", "get_loss",
           "__version__"]
