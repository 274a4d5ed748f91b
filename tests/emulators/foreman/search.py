"""The subset of Foreman's search language (the scoped_search gem) the emulator
understands, with Foreman's semantics for it.

Grammar: ``term (and|or|&&|||) term ...``, parentheses, ``not``/``!`` before a
term, and juxtaposed terms meaning ``and`` (as scoped_search reads them);
``and`` binds tighter than ``or``. A term is ``field OP value`` with OP one of
``=``, ``!=``, ``~``, ``!~``; a lone value is a free-text search of the
default fields. Values are bare words or double-quoted strings.

Semantics, as Foreman on PostgreSQL: ``=`` and ``!=`` compare exactly and
case-sensitively (scoped_search's ``=``; for facts ScopedSearchExtensions
#cast_facts); ``~`` and ``!~`` are ILIKE with ``%value%``: a case-insensitive
substring (a value with ``*`` or ``%`` is the whole pattern instead,
``*`` read as ``%``). A field the resource does not
know is refused with ScopedSearch::QueryNotSupported, which Foreman answers
400 (``Field 'x' not recognized for searching!``).
"""

import re

OPERATORS = ('!=', '!~', '=', '~')
_TOKEN = re.compile(r'''\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<op>!=|!~|=|~)|(?P<andop>&&)|(?P<orop>\|\|)
                         |(?P<bang>!)|"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<word>[^\s()=~!"&|]+))''',
                    re.VERBOSE)


class QueryNotSupported(Exception):
    """scoped_search refuses the query; Foreman answers 400 with this message."""


def tokenize(text):
    tokens, pos = [], 0
    text = text or ''
    while pos < len(text):
        if not text[pos:].strip():
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise QueryNotSupported(f"Unexpected input at position {pos} of '{text}'")
        pos = m.end()
        kind = m.lastgroup
        if kind == 'quoted':
            tokens.append(('value', re.sub(r'\\(.)', r'\1', m.group('quoted'))))
        elif kind == 'word':
            lowered = m.group('word').lower()
            if lowered in ('and', 'or', 'not'):
                tokens.append((lowered, lowered))
            else:
                tokens.append(('value', m.group('word')))
        elif kind == 'andop':
            tokens.append(('and', 'and'))
        elif kind == 'orop':
            tokens.append(('or', 'or'))
        elif kind == 'bang':
            tokens.append(('not', 'not'))
        else:
            tokens.append((kind, m.group(kind)))
    return tokens


class _Parser:
    def __init__(self, tokens):
        self.tokens = tokens
        self.i = 0

    def peek(self):
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def take(self):
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expression(self):
        node = self.conjunction()
        while self.peek() == 'or':
            self.take()
            node = ('or', node, self.conjunction())
        return node

    def conjunction(self):
        node = self.unary()
        while self.peek() in ('and', 'lp', 'value', 'not'):
            if self.peek() == 'and':
                self.take()
            node = ('and', node, self.unary())
        return node

    def unary(self):
        kind = self.peek()
        if kind == 'not':
            self.take()
            return ('not', self.unary())
        if kind == 'lp':
            self.take()
            node = self.expression()
            if self.peek() != 'rp':
                raise QueryNotSupported('Unbalanced parentheses')
            self.take()
            return node
        if kind != 'value':
            raise QueryNotSupported('Value expected')
        word = self.take()[1]
        if self.peek() == 'op':
            op = self.take()[1]
            if self.peek() != 'value':
                raise QueryNotSupported(f"Value expected after '{word} {op}'")
            return ('term', word, op, self.take()[1])
        return ('free', word)


def parse(text):
    """The query as a tree; None for an empty query (everything matches)."""
    tokens = tokenize(text)
    if not tokens:
        return None
    parser = _Parser(tokens)
    tree = parser.expression()
    if parser.i != len(tokens):
        raise QueryNotSupported(f"Unexpected '{tokens[parser.i][1]}'")
    return tree


def compare(actual, op, wanted):
    """One comparison on a stored value (None: the record has no such value)."""
    if op in ('=', '~') and actual is None:
        return False
    if actual is None:
        return True     # != and !~ hold for a value that is not there
    actual = str(actual)
    if op == '=':
        return actual == wanted
    if op == '!=':
        return actual != wanted
    if '*' in wanted or '%' in wanted:
        # value_to_sql: the value is the whole LIKE pattern, '*' read as '%'
        pattern = '.*'.join(re.escape(part) for part in re.split(r'[*%]+', wanted.lower()))
        found = re.fullmatch(pattern, actual.lower(), re.DOTALL) is not None
    else:
        found = wanted.lower() in actual.lower()
    return found if op == '~' else not found


def matches(tree, record, fields, free_text):
    """Whether ``record`` satisfies ``tree``.

    ``fields(record, field, op, value)`` answers one term, or raises
    QueryNotSupported for a field it does not know; ``free_text(record, value)``
    answers a lone value.
    """
    if tree is None:
        return True
    kind = tree[0]
    if kind == 'or':
        return (matches(tree[1], record, fields, free_text)
                or matches(tree[2], record, fields, free_text))
    if kind == 'and':
        return (matches(tree[1], record, fields, free_text)
                and matches(tree[2], record, fields, free_text))
    if kind == 'not':
        return not matches(tree[1], record, fields, free_text)
    if kind == 'free':
        return free_text(record, tree[1])
    _, field, op, value = tree
    return fields(record, field, op, value)


def check_fields(tree, known):
    """Raise QueryNotSupported, as scoped_search does before any query runs, when a
    term names a field that is not ``known(field)``."""
    if tree is None:
        return
    if tree[0] in ('or', 'and'):
        check_fields(tree[1], known)
        check_fields(tree[2], known)
    elif tree[0] == 'not':
        check_fields(tree[1], known)
    elif tree[0] == 'term' and not known(tree[1]):
        raise QueryNotSupported(f"Field '{tree[1]}' not recognized for searching!")
