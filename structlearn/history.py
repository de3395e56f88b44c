"""The one History format every algorithm writes and every report reads.

A :class:`History` holds per-epoch *rows* and discrete *events*:

* a row: ``epoch``, ``phase`` (e.g. ``"train"``, ``"output"``, ``"candidate"``,
  ``"retrain"``), ``loss``, ``units`` (hidden units), ``weights`` (active
  weights), ``seconds`` (since the start), plus any metrics (``accuracy``,
  ``val_loss``, ``val_accuracy``, ...);
* an event: ``epoch``, ``kind`` (``"unit_added"``, ``"block_added"``,
  ``"weights_pruned"``, ``"stop"``, ...) and free details (JSON-serialisable).
"""
from __future__ import annotations

import json
import math
import numpy as np

from .files import atomic_write, open_regular

__all__ = ["History", "plain"]


def plain(value):
    """A JSON-friendly copy of ``value``: numpy scalars and arrays as Python numbers and lists,
    infinities as +-1e308 and NaN as None (JSON has neither)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else (1e308 if value > 0 else -1e308)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


class History:
    """Per-epoch rows and events of one training run."""

    def __init__(self, rows=None, events=None, meta=None):
        self.rows: list[dict] = list(rows or [])
        self.events: list[dict] = list(events or [])
        self.meta: dict = dict(meta or {})

    def log(self, *, epoch, phase, loss, units, weights, seconds, **metrics):
        """Append one per-epoch row."""
        row = dict(epoch=int(epoch), phase=str(phase), loss=float(loss), units=int(units),
                   weights=int(weights), seconds=float(seconds))
        row.update({k: plain(v) for k, v in metrics.items()})
        self.rows.append(row)
        return row

    def event(self, kind, *, epoch, **details):
        """Append one event (``unit_added``, ``block_added``, ``weights_pruned``, ``stop``...)."""
        ev = dict(epoch=int(epoch), kind=str(kind))
        ev.update({k: plain(v) for k, v in details.items()})
        self.events.append(ev)
        return ev

    @property
    def epochs(self) -> int:
        """Epochs recorded (the last row's epoch, 0 if none)."""
        return self.rows[-1]["epoch"] if self.rows else 0

    def column(self, name, phase=None) -> np.ndarray:
        """Values of ``name`` over the rows (NaN where a row lacks it)."""
        rows = self.rows if phase is None else [r for r in self.rows if r["phase"] == phase]
        return np.array([np.nan if r.get(name) is None else r[name] for r in rows], dtype=float)

    def events_of(self, kind) -> list[dict]:
        return [e for e in self.events if e["kind"] == kind]

    @property
    def stop_reason(self):
        stops = self.events_of("stop")
        return stops[-1].get("reason") if stops else None

    def extend(self, other: "History", epoch_offset=0, seconds_offset=0.0):
        """Append another history's rows and events, shifting epochs and times."""
        for r in other.rows:
            r = dict(r)
            r["epoch"] += epoch_offset
            r["seconds"] += seconds_offset
            self.rows.append(r)
        for e in other.events:
            e = dict(e)
            e["epoch"] += epoch_offset
            self.events.append(e)
        return self

    def to_dict(self) -> dict:
        return {"rows": self.rows, "events": self.events, "meta": plain(self.meta)}

    @classmethod
    def from_dict(cls, data) -> "History":
        if not isinstance(data, dict) or "rows" not in data:
            raise ValueError("data must be a dict with 'rows' and 'events' (History.to_dict output)")
        return cls(data["rows"], data.get("events", []), data.get("meta", {}))

    def save(self, path):
        """Write JSON atomically (temporary file, then rename)."""
        return atomic_write(path, json.dumps(self.to_dict()))

    @classmethod
    def load(cls, path, max_bytes=256 << 20) -> "History":
        """Read a history written by :meth:`save` (a regular file of at most ``max_bytes``)."""
        with open_regular(path) as fh:
            data = fh.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise ValueError(f"{path}: a history file larger than {max_bytes} bytes")
        try:
            return cls.from_dict(json.loads(data))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise ValueError(f"{path}: not a structlearn history ({type(exc).__name__}: "
                             f"{exc})") from None

    def __len__(self):
        return len(self.rows)

    def __repr__(self):
        return f"History({len(self.rows)} rows, {len(self.events)} events)"
