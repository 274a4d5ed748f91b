"""The Foreman emulator's search language: parsing and Foreman's semantics."""

import pytest

from tests.emulators.foreman import search

RECORDS = [{'name': 'a', 'f': 'X1'}, {'name': 'b', 'f': 'x2'}, {'name': 'c', 'f': None}]


def field(record, name, op, value):
    return search.compare(record[name], op, value)


def free(record, value):
    return search.compare(record['name'], '~', value)


def run(query):
    tree = search.parse(query)
    search.check_fields(tree, lambda name: name in ('name', 'f'))
    return [r['name'] for r in RECORDS if search.matches(tree, r, field, free)]


@pytest.mark.parametrize('query, expected', [
    ('', ['a', 'b', 'c']),
    ('name = a', ['a']),
    ('name=a', ['a']),
    ('name = a or name = b', ['a', 'b']),
    ('name = a || name = b', ['a', 'b']),
    ('name = a or name = b and f = x2', ['a', 'b']),
    ('(name = a or name = b) and f = x2', ['b']),
    ('name = a and f = X1', ['a']),
    ('name = a f = X1', ['a']),                 # juxtaposed terms: and
    ('not name = a', ['b', 'c']),
    ('! name = a', ['b', 'c']),
    ('f = x1', []),                             # '=' is case-sensitive
    ('f ~ x', ['a', 'b']),                      # '~' is ILIKE '%x%'
    ('f ~ "X*"', ['a', 'b']),                   # '*' makes the value the whole pattern
    ('f ~ "1*"', []),
    ('f !~ x', ['c']),                          # no value: not like
    ('f != X1', ['b', 'c']),
    ('name = "a"', ['a']),
    ('b', ['b']),                               # free text
])
def test_queries(query, expected):
    assert run(query) == expected


@pytest.mark.parametrize('query', ['(name = a', 'name =', 'name = a)', 'and', 'name = a or'])
def test_malformed_queries_are_refused(query):
    with pytest.raises(search.QueryNotSupported):
        run(query)


def test_an_unknown_field_is_refused_like_scoped_search():
    with pytest.raises(search.QueryNotSupported, match="Field 'g' not recognized"):
        run('name = a or g = 1')


def test_quoted_values_keep_spaces_and_escapes():
    assert search.tokenize('name = "Team B" or x = "a\\"b"') == [
        ('value', 'name'), ('op', '='), ('value', 'Team B'), ('or', 'or'),
        ('value', 'x'), ('op', '='), ('value', 'a"b')]
