"""Files behind URLs (``s3://``, ``gs://``, ``http(s)://``) through fsspec: opening, writing and
listing them. May import :mod:`poolcli.errors` only; fsspec and its drivers load on first use.
"""
