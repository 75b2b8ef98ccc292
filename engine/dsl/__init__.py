"""The expression language: grammar, parser, syntax tree, checker and compiler."""
