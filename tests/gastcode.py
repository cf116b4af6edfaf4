"""Small helpers for golden tests of passes: source text to a gast
function and back, spelled the way astor writes it."""
import textwrap

import astor
import gast


def parsed(source):
    return gast.parse(textwrap.dedent(source)).body[0]


def emitted(fdef):
    return astor.to_source(gast.gast_to_ast(fdef))


def normal(source):
    """`source` as astor writes it (the goldens' spelling does not matter)."""
    return emitted(parsed(source))
