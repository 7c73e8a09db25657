"""One module per ``sagelab`` command; each exposes ``add_parser(subparsers)``."""
