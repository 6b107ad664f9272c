"""The Streamlit app: pages, the live frame processor (frame thread → UI through a snapshot), the
history store. ``formcheck app`` and ``streamlit run app.py`` both run :mod:`formcheck.app.main`."""

#: The Streamlit settings ``formcheck app`` passes on its command line, so they hold whatever the
#: current folder (``.streamlit/config.toml`` in a checkout says the same for ``streamlit run app.py``;
#: tests/test_packaging.py keeps the two in step). Private by default: this computer only, no
#: usage statistics, never a traceback in the page.
SERVER_SETTINGS: dict[str, str] = {
    # Streamlit guesses "development mode" from its own install path (no "site-packages" in it), which
    # then refuses a port; formcheck is never Streamlit's own development checkout
    "global.developmentMode": "false",
    "server.address": "127.0.0.1",
    "server.headless": "true",
    "server.maxUploadSize": "200",  # MB; the upload box says "up to 200 MB"
    "server.enableXsrfProtection": "true",
    "server.fileWatcherType": "none",  # the installed code does not change while it runs
    "browser.gatherUsageStats": "false",
    "browser.serverAddress": "127.0.0.1",
    "client.toolbarMode": "minimal",
    "client.showErrorDetails": "none",
    "theme.base": "light",
    "theme.primaryColor": "#1f6f8b",
}
MAX_UPLOAD_MB = int(SERVER_SETTINGS["server.maxUploadSize"])
