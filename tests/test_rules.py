"""The rule language and its KBANN compiler (rule-based cascade-correlation)."""
import numpy as np
import pytest

from structlearn.cascor import CascadeCorrelation
from structlearn.cascor.knowledge import SourceKind, recruits
from structlearn.cascor.rules import Rule, compile_rules, parse_rules, rule_source, truth_table

CASES = {
    "and": ("y :- a, b, c", ["a", "b", "c"]),
    "and_not": ("y :- a, not b, c", ["a", "b", "c"]),
    "or": ("y :- a; y :- not b; y :- c", ["a", "b", "c"]),
    "m_of_n": ("y :- 2 of (a, b, not c, d)", ["a", "b", "c", "d"]),
    "one_of_n": ("y :- 1 of (a, b, c)", ["a", "b", "c"]),
    "chain": ("""
        h1 :- a, b          # an AND feeding
        h2 :- 2 of (c, d, not e)
        h3 :- not h1, f
        y  :- h1, h2
        y  :- h3
        z  :- not h2, not a
    """, ["a", "b", "c", "d", "e", "f"]),
    "deep_chain": ("""
        p :- a, b, c, d
        q :- p, not e
        r :- 2 of (q, f, not p)
        y :- r, not a
        y :- q
    """, ["a", "b", "c", "d", "e", "f"]),
}


@pytest.mark.parametrize("coding", [(0.0, 1.0), (-0.5, 0.5), (-1.0, 1.0)])
@pytest.mark.parametrize("name", sorted(CASES))
def test_compiled_rules_reproduce_their_truth_tables(name, coding):
    text, inputs = CASES[name]
    net = compile_rules(text, inputs, input_values=coding)
    X, truth = truth_table(text, inputs, input_values=coding)
    out = net.forward(X)
    assert out.shape == truth.shape
    np.testing.assert_array_equal(out > 0, truth)
    assert np.abs(out).min() > 0.3         # a margin: f(omega / 2) = f(2) = 0.38 or more
    assert not any(b.trainable for b in net.blocks)


def test_kbann_weights_for_zero_one_inputs():
    """With 0/1 inputs the compiler gives KBANN's numbers: +-omega, bias -(P - 1/2) omega."""
    net = compile_rules("y :- a, b, not c", ["a", "b", "c"], omega=4.0)
    blk = net.blocks[0]
    np.testing.assert_allclose(blk.W[:, 0], [4, 4, -4])
    np.testing.assert_allclose(blk.b, [-(2 - 0.5) * 4])
    net = compile_rules("y :- 2 of (a, b, c)", ["a", "b", "c"])
    np.testing.assert_allclose(net.blocks[0].W[:, 0], [4, 4, 4])
    np.testing.assert_allclose(net.blocks[0].b, [-(2 - 0.5) * 4])
    net = compile_rules("y :- a; y :- b", ["a", "b"])            # OR of two bodies
    np.testing.assert_allclose(net.blocks[0].W, 4 * np.eye(2))   # body units
    assert np.all(net.blocks[-1].W[:2] == 0) and np.all(net.blocks[-1].W[2:] > 0)


def test_parse_and_errors_name_the_problem():
    rules = parse_rules("y :- a, not b  # comment\n z :- 2 of (a, b, c).")
    assert rules == [Rule("y", ("a", "not b")), Rule("z", ("a", "b", "c"), 2)]
    assert str(rules[1]) == "z :- 2 of (a, b, c)"
    with pytest.raises(ValueError, match="head :- body"):
        parse_rules("y <- a")
    with pytest.raises(ValueError, match="bad literal"):
        parse_rules("y :- a and b")
    with pytest.raises(ValueError, match="m-of-n"):
        parse_rules("y :- 4 of (a, b)")
    with pytest.raises(ValueError, match="circular"):
        compile_rules("y :- h; h :- g, a; g :- h", outputs=["y"])
    with pytest.raises(ValueError, match="neither inputs nor rule heads"):
        compile_rules("y :- a, b", ["a"])
    with pytest.raises(ValueError, match="antecedents"):
        compile_rules("y :- a; z :- y", ["a"], outputs=["y", "z"])
    with pytest.raises(ValueError, match="omega"):
        compile_rules("y :- a", ["a"], omega=0)
    with pytest.raises(TypeError, match="rules"):
        parse_rules(3)


def test_a_partly_correct_rule_network_is_recruited_and_learning_covers_the_rest():
    """Target (a and b) or (c and d); the rule knows only a and b (plus a wrong conjunct).
    The rule network is recruited first and units learn what it misses."""
    names = [f"x{i}" for i in range(6)]
    bits = ((np.arange(64)[:, None] >> np.arange(6)[::-1]) & 1).astype(float)
    y = ((bits[:, 0] * bits[:, 1]) + (bits[:, 2] * bits[:, 3]) > 0).astype(int)
    net, imap = rule_source("y :- x0, x1; y :- x4, not x5", names)
    assert imap == [0, 1, 4, 5]
    kind = SourceKind(net, name="rule", init="identity", input_map=imap, step_scale=0.05,
                      prune=0.2)
    m = CascadeCorrelation(unit_type=["symmetric_sigmoid"] * 8 + [kind], pool_size=9,
                           max_hidden_units=10, rng=0).fit(bits, y)
    assert m.success_
    assert recruits(m.history_)[0] == "rule"
    np.testing.assert_array_equal(m.predict(bits), y)
