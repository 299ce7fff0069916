"""The console's pages, one module per queue (``/console/<queue>`` is ``pages/<queue>.py``); shared pieces in
``common.py``; the whole is put together in ``console/endpoints.py``."""
