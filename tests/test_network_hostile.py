"""Structural edits are all-or-nothing and refuse non-finite weights; Network.load reads bounded,
named members of regular files only and turns every malformed file into a clear ValueError."""
import io
import json
import os
import zipfile

import numpy as np
import pytest

from structlearn import Network


def _net():
    return Network.mlp([2, 3, 2, 1], hidden="tanh", output="sigmoid", rng=0)


def _same(a, b):
    assert [blk.sources for blk in a.blocks] == [blk.sources for blk in b.blocks]
    assert [blk.W.shape for blk in a.blocks] == [blk.W.shape for blk in b.blocks]
    np.testing.assert_array_equal(a.params, b.params)
    assert all(np.array_equal(u, v) for u, v in zip(a.unit_ids, b.unit_ids))


@pytest.mark.parametrize("edit", [
    lambda n: n.add_units(0, 1, incoming=np.nan),
    lambda n: n.add_units(0, 1, outgoing=np.inf),
    lambda n: n.add_units(0, 1, bias=[np.nan]),
    lambda n: n.add_block(2, (1,), "tanh", W=np.nan),
    lambda n: n.add_block(2, (1,), "tanh", outgoing=np.nan, consumers=[2]),
    lambda n: n.add_block(2, (1,), "no_such_activation"),
    lambda n: n.add_sources(2, (0,), W=np.nan),
])
def test_edits_refuse_non_finite_weights_and_change_nothing(edit):
    net = _net()
    before = net.copy()
    with pytest.raises((ValueError, TypeError)):
        edit(net)
    _same(net, before)
    assert np.all(np.isfinite(net.forward(np.ones((3, 2)))))


def test_an_edit_failing_halfway_is_undone():
    net = Network.mlp([2, 2, 1], hidden="tanh", rng=0)
    before = net.copy()
    with pytest.raises(ValueError, match="no inputs"):
        net.remove_units(0, [0, 1])  # the output block would have no source
    _same(net, before)
    X = np.ones((2, 2))
    np.testing.assert_array_equal(net.forward(X), before.forward(X))


def test_unit_id_overflow_is_refused_before_any_change():
    net = _net()
    net._next_uid = 2**31 - 2
    before = net.copy()._with_next_uid(net._next_uid)
    with pytest.raises(ValueError, match="new units would pass the .* unit ids"):
        net.add_units(0, 5)
    _same(net, before)


def test_add_units_needs_a_whole_number():
    with pytest.raises(TypeError, match="n: expected an integer"):
        _net().add_units(0, 2.7)


# ------------------------------------------------------------------ hostile files
def _zip(tmp_path, members, name="net.npz", compress=zipfile.ZIP_STORED):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", compression=compress) as zf:
        for member, data in members:
            zf.writestr(member, data)
    return path


def _npy(arr):
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def _members(net, tmp_path):
    path = net.save(tmp_path / "good.npz")
    with zipfile.ZipFile(path) as zf:
        return [(i.filename, zf.read(i)) for i in zf.infolist()]


def test_non_regular_files_are_refused(tmp_path):
    with pytest.raises(ValueError, match="not a regular file"):
        Network.load("/dev/zero")
    fifo = tmp_path / "fifo.npz"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"):
        Network.load(fifo)


def test_unused_members_are_never_inflated(tmp_path):
    net = _net()
    members = _members(net, tmp_path)
    bomb = b"\0" * (300 << 20)  # 300 MiB of zeros, a few hundred KB compressed
    path = _zip(tmp_path, members + [("junk.npy", bomb)], compress=zipfile.ZIP_DEFLATED)
    assert os.path.getsize(path) < (2 << 20)
    loaded = Network.load(path)  # the junk member is not read
    np.testing.assert_array_equal(loaded.params, net.params)


def test_a_member_inflating_beyond_the_file_is_refused(tmp_path):
    members = dict(_members(_net(), tmp_path))
    members["W0.npy"] = _npy(np.zeros((200_000, 300)))  # 480 MB of zeros
    path = _zip(tmp_path, list(members.items()), compress=zipfile.ZIP_DEFLATED)
    with pytest.raises(ValueError, match="inflates to"):
        Network.load(path)


def test_duplicate_member_names_are_refused(tmp_path):
    members = _members(_net(), tmp_path)
    with pytest.warns(UserWarning):  # zipfile warns about the duplicate as it writes it
        path = _zip(tmp_path, members + [members[0]])
    with pytest.raises(ValueError, match="appears twice"):
        Network.load(path)


@pytest.mark.parametrize("change", [
    lambda m: m.update(n_inputs=1e400),             # JSON infinity -> OverflowError before
    lambda m: m.update(n_inputs=True),
    lambda m: m.update(next_uid=-3),
    lambda m: m.update(blocks="no"),
    lambda m: m["blocks"].append(m["blocks"][0]),  # names members that are not there
])
def test_malformed_metadata_gives_a_clear_error(tmp_path, change):
    members = dict(_members(_net(), tmp_path))
    meta = json.loads(str(np.load(io.BytesIO(members["meta.npy"]))[()]))
    change(meta)
    members["meta.npy"] = _npy(np.array(json.dumps(meta)))
    path = _zip(tmp_path, list(members.items()))
    with pytest.raises(ValueError, match="not a valid structlearn network file"):
        Network.load(path)


def test_deeply_nested_metadata_gives_a_clear_error(tmp_path):
    members = dict(_members(_net(), tmp_path))
    members["meta.npy"] = _npy(np.array("[" * 100_000 + "]" * 100_000))
    path = _zip(tmp_path, list(members.items()))
    with pytest.raises(ValueError, match="not a valid structlearn network file"):
        Network.load(path)


def test_duplicate_unit_ids_are_refused(tmp_path):
    members = dict(_members(_net(), tmp_path))
    ids0 = np.load(io.BytesIO(members["ids0.npy"]))
    members["ids1.npy"] = _npy(np.r_[ids0[:1], np.arange(100, 102)])
    path = _zip(tmp_path, list(members.items()))
    with pytest.raises(ValueError, match="unit_ids must be unique"):
        Network.load(path)


def test_history_load_reads_bounded_regular_files_only(tmp_path):
    from structlearn import History

    with pytest.raises(ValueError, match="not a regular file"):
        History.load("/dev/zero")
    big = tmp_path / "h.json"
    big.write_text('{"rows": [], "events": [], "pad": "' + "x" * 2000 + '"}')
    with pytest.raises(ValueError, match="larger than"):
        History.load(big, max_bytes=1000)
    bad = tmp_path / "bad.json"
    bad.write_text("[" * 100_000)
    with pytest.raises(ValueError, match="not a structlearn history"):
        History.load(bad)
    ok = tmp_path / "ok.json"
    History(rows=[dict(epoch=1, phase="t", loss=1.0, units=0, weights=1, seconds=0.0)]).save(ok)
    assert len(History.load(ok)) == 1


@pytest.mark.parametrize("make", [
    lambda: Network.mlp([2, 10**12, 1]),
    lambda: Network.cascade(2, 10**12),
    lambda: _net().add_units(0, 10**12),
    lambda: _net().add_block(10**12, (1,), "tanh"),
])
def test_absurd_sizes_are_refused_before_allocating(make):
    with pytest.raises(ValueError, match="unit ids"):
        make()


def test_wider_refuses_an_absurd_width_before_allocating():
    from structlearn.net2net import wider

    with pytest.raises(ValueError, match="new_width: .* unit ids"):
        wider(_net(), 0, 10**12)
