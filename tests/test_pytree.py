"""Pytrees: flatten/unflatten round trips, specs, paths, registration, torch's JSON form."""
import collections
import dataclasses
import json

import pytest

from minexport.utils import _pytree as pytree

Point = collections.namedtuple("Point", ["x", "y"])
pytree._register_namedtuple(Point, serialized_type_name="tests.Point")


@dataclasses.dataclass
class Pair:
    a: object
    b: object


pytree.register_pytree_node(Pair, lambda p: ([p.a, p.b], None), lambda ch, ctx: Pair(*ch),
                            serialized_type_name="tests.Pair")

TREES = [
    1, None, (1, 2), [1, [2, (3,)]], {"b": 1, "a": [2, 3]}, collections.OrderedDict(z=1, y=(2,)),
    Point(1, [2, 3]), Pair(1, {"k": (2, None)}), (), {}, collections.deque([1, 2]),
]


@pytest.mark.parametrize("tree", TREES, ids=range(len(TREES)))
def test_round_trip(tree):
    leaves, spec = pytree.tree_flatten(tree)
    assert pytree.tree_unflatten(leaves, spec) == tree
    assert spec.num_leaves == len(leaves)
    assert pytree.treespec_loads(pytree.treespec_dumps(spec)) == spec
    assert pytree.tree_map(lambda v: v, tree) == tree


def test_leaves_in_order_and_dict_insertion_order():
    assert pytree.tree_leaves({"b": 1, "a": [2, 3]}) == [1, 2, 3]
    assert pytree.tree_leaves([None, 1]) == [None, 1]      # None is a leaf, as in torch 2.13


def test_spec_equality():
    assert pytree.tree_structure((1, 2)) == pytree.tree_structure((3, 4))
    assert pytree.tree_structure((1, 2)) != pytree.tree_structure([1, 2])
    assert pytree.tree_structure({"a": 1}) != pytree.tree_structure({"b": 1})


def test_paths():
    pairs, _ = pytree.tree_flatten_with_path({"a": [1, Point(2, 3)]})
    assert [pytree.keystr(p) for p, _ in pairs] == ["['a'][0]", "['a'][1].x", "['a'][1].y"]


def test_tree_map_several_trees():
    assert pytree.tree_map(lambda a, b: a + b, (1, [2]), (10, [20])) == (11, [22])
    with pytest.raises(ValueError, match="differ in structure"):
        pytree.tree_map(lambda a, b: a, (1, 2), [1, 2])


def test_unflatten_wrong_count():
    _, spec = pytree.tree_flatten((1, 2))
    with pytest.raises(ValueError, match="has length 3"):
        pytree.tree_unflatten([1, 2, 3], spec)


def test_json_form_is_torchs():
    _, spec = pytree.tree_flatten([1, {"x": 2}])
    data = json.loads(pytree.treespec_dumps(spec))
    assert data[0] == 1 and data[1]["type"] == "builtins.list" and data[1]["context"] == "null"
    assert data[1]["children_spec"][1] == {"type": "builtins.dict", "context": '["x"]', "children_spec": [
        {"type": None, "context": None, "children_spec": []}]}


def test_json_interchanges_with_torch():
    tp = pytest.importorskip("torch.utils._pytree")
    for tree in [(1, [2, {"a": 3}]), collections.OrderedDict(a=(1, 2)), {"k": None}]:
        ours = pytree.treespec_dumps(pytree.tree_flatten(tree)[1])
        theirs = tp.treespec_dumps(tp.tree_flatten(tree)[1])
        assert json.loads(ours) == json.loads(theirs)
        assert pytree.treespec_loads(theirs) == pytree.tree_flatten(tree)[1]


def test_bad_json_is_refused():
    with pytest.raises(ValueError, match="unregistered pytree type"):
        pytree.treespec_loads('[1, {"type": "nope.Nope", "context": "null", "children_spec": []}]')
    with pytest.raises(ValueError, match="protocol 1"):
        pytree.treespec_loads('[2, {}]')


def test_double_registration_refused():
    with pytest.raises(ValueError, match="already registered"):
        pytree.register_pytree_node(Pair, lambda p: ([], None), lambda c, x: None)
