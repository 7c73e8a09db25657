"""Errors that are the user's to fix: the CLI prints them in one line and exits 2, without a traceback."""


class UserError(Exception):
    """A bad config, path, dataset or argument, described so the user can fix it."""
