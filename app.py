"""formcheck's app from a source checkout: ``streamlit run app.py`` (same as ``formcheck app``).

The app itself lives in :mod:`formcheck.app`; this file only runs it.
"""

from formcheck.app.main import main

main()
