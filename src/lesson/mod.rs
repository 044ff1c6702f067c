//! The Markdown side: lessons as prose, code cells and expected outputs. Knows nothing of Python.
