"""HTTP plumbing the two HTTP faces share (``api`` and ``web``), below both of them.

What a request needs whichever face answers it: the server's settings
(:mod:`~dadkhahi.http.settings`), the access log and its formatter
(:mod:`~dadkhahi.http.access_log`), the one error with an HTTP status
(:mod:`~dadkhahi.http.errors`), the client's address and short reads on the event loop
(:mod:`~dadkhahi.http.requests`), streamed multipart uploads
(:mod:`~dadkhahi.http.uploads`), the item download (:mod:`~dadkhahi.http.downloads`),
the bodies both faces validate (:mod:`~dadkhahi.http.models`) and the process tuning of
a long-running server (:mod:`~dadkhahi.http.serving`).

It may import everything below the faces (domain … services), FastAPI and Starlette;
never ``api``, ``web`` or ``cli`` (``tests/test_layers.py``).
"""
