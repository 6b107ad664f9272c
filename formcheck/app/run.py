"""The script Streamlit runs (``formcheck app`` passes this file to ``streamlit run``)."""

from formcheck.app.main import main

main()
