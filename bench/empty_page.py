"""An empty page for bench/bench_pages.py: its reruns inside app.py's frame are the framework floor."""
import streamlit as st

st.title("空白页")
