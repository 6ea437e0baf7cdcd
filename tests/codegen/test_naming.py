import re

import pytest

from mnc.codegen.naming import MAX_IDENTIFIER, NameTable, c_comment, c_string, sanitize

C_IDENT = re.compile(r"^mnc_[A-Za-z0-9_]+$")


@pytest.mark.parametrize("name", ["a/b*/c", "1x", "int", "", "conv:0", "x y\nz", "é€", "a" * 200, "__", "*/"])
def test_sanitize_gives_prefixed_c_identifier(name):
    ident = sanitize(name)
    assert C_IDENT.match(ident), ident
    assert len(ident) <= MAX_IDENTIFIER


def test_sanitize_keeps_plain_names_readable():
    assert sanitize("conv_1") == "mnc_conv_1"
    assert sanitize("a/b*/c") == "mnc_a_b__c"
    assert sanitize("int") == "mnc_int"


def test_long_names_stay_distinct():
    a, b = "x" * 100 + "a", "x" * 100 + "b"
    assert sanitize(a) != sanitize(b)


def test_name_table_deduplicates_and_avoids_reserved():
    names = NameTable()
    assert names.identifier("a/b") == "mnc_a_b"
    assert names.identifier("a*b") == "mnc_a_b_2"
    assert names.identifier("a_b") == "mnc_a_b_3"
    assert names.identifier("input") == "mnc_input_2"   # mnc_input is the API function
    assert names.identifier("run") == "mnc_run_2"


def test_name_table_claim_is_unique_across_suffixed_collisions():
    names = NameTable(reserved=set())
    got = [names.claim(n) for n in ("a", "a", "a_2", "a")]
    assert len(set(got)) == len(got)


@pytest.mark.parametrize("text", ["a*/b", "/*x", "x\ny", "??/", "caf\u00e9", "***///", "end\\"])
def test_c_comment_is_safe(text):
    safe = c_comment(text)
    assert "*/" not in safe and "/*" not in safe and "??" not in safe
    assert all(32 <= ord(ch) < 127 for ch in safe)
    assert not safe.endswith("\\")


def test_c_string_escapes():
    assert c_string('a"b\\c') == '"a\\"b\\\\c"'
    assert c_string("??=") == '"\\?\\?="'
    assert c_string("\u00e9\n") == '"\\303\\251\\012"'
