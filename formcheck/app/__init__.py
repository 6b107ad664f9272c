"""The Streamlit app: pages, the live frame processor (frame thread → UI through a snapshot), the
history store. ``formcheck app`` and ``streamlit run app.py`` both run :mod:`formcheck.app.main`."""
