"""`infra.fnv.path_hash`: the names of corral's records in its cache (a record written earlier must still be found)."""

from __future__ import annotations

from corral.infra.fnv import path_hash


def test_the_names_are_64_bit_fnv_1a_of_the_path() -> None:
    assert path_hash("") == "cbf29ce484222325"  # FNV-1a's offset basis: no byte hashed
    assert path_hash("a") == "af63dc4c8601ec8c"  # the published test vector for "a"
    assert path_hash("foobar") == "85944171f73967e8"  # and for "foobar"


def test_a_prefix_is_hashed_first_and_undecodable_bytes_as_they_were() -> None:
    assert path_hash("x", prefix=b"doctor-quick\0") == path_hash("doctor-quick\0x")
    assert path_hash("/p/b\udcff") != path_hash("/p/b\ufffd")
