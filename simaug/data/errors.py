"""Errors of the data layer. Every message names the file and the fix."""


class DataError(RuntimeError):
    """A data set is missing, corrupt or malformed."""


class ChecksumError(DataError):
    """A file's checksum differs from the manifest's."""
