"""The server's settings under the API's name (:mod:`dadkhahi.http.settings` holds them:
the pages read the same settings)."""

from dadkhahi.http.settings import LOOPBACK_HOSTS, ServerSettings, is_loopback

#: The API's name for :class:`~dadkhahi.http.settings.ServerSettings`.
ApiSettings = ServerSettings

__all__ = ["LOOPBACK_HOSTS", "ApiSettings", "is_loopback"]
