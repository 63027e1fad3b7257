"""Ids and attributes: where a record keeps documented fields that have no column of their own.

Policy (socialtap.records, "Ids and attributes"): ``ids`` holds other identifiers of the
same entity as text; ``attributes`` holds the vendor's other fields with its values, made
JSON-safe; neither is part of a natural key, and every output carries both.
"""

from __future__ import annotations

import json
import sqlite3

from hypothesis import given
from hypothesis import strategies as st

from socialtap import Account, Observation, Post, Relation
from socialtap.outputs import SqliteWriter
from socialtap.records import dumps, from_item, natural_key, to_item

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)


def test_ids_are_text_and_a_missing_id_is_absent_not_invented():
    account = Account("shareablee", "facebook", "995122", ids={"object_id": 155869377766434, "isin": None})
    assert account.ids == {"object_id": "155869377766434"}


@given(st.dictionaries(st.text(min_size=1, max_size=6), json_values, max_size=4))
def test_attributes_of_any_json_shape_serialize_as_valid_json_and_round_trip(attributes):
    post = Post("v", "instagram", "p1", attributes=attributes)
    line = dumps(to_item(post))  # never NaN/Infinity literals, nested or not
    back = from_item(json.loads(line))
    assert back == from_item(to_item(post))
    assert json.loads(line)["attributes"].keys() == attributes.keys()


def test_neither_ids_nor_attributes_is_part_of_a_natural_key():
    one = Account("v", "x", "1", ids={"object_id": "a"}, attributes={"website": "https://a.example"})
    two = Account("v", "x", "1", ids={"object_id": "b"}, attributes={"website": None})
    assert natural_key(one) == natural_key(two)
    obs = [Observation("v", "x", "account", "1", "followers", 1, attributes={"start": s}) for s in ("a", "b")]
    assert natural_key(obs[0]) == natural_key(obs[1])
    rel = [Relation("v", "x", "1", "mentions", "2", attributes={"n": n}) for n in (1, 2)]
    assert natural_key(rel[0]) == natural_key(rel[1])


def test_sqlite_stores_ids_and_attributes_as_json_and_a_rewrite_updates_them(tmp_path):
    path = tmp_path / "out.sqlite"
    for website in ("https://old.example", "https://new.example"):
        writer = SqliteWriter(path)
        writer.write(Account("v", "x", "1", ids={"object_id": "42"}, attributes={"website": website}))
        writer.close()
    db = sqlite3.connect(path)
    stored = db.execute("SELECT ids, attributes FROM account").fetchall()
    db.close()
    assert [(json.loads(i), json.loads(a)) for i, a in stored] == [({"object_id": "42"}, {"website": "https://new.example"})]
