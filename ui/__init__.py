"""Streamlit-side helpers shared by app.py and the pages (the domain package never imports streamlit)."""
