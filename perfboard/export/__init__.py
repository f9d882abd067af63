"""Exports: filtered tables (.xlsx/.csv), the standard self-evaluation forms, the written report and the
meeting brief. Plain functions returning bytes; no Streamlit here, so the CLI, pages and tests share them."""
