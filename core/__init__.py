"""Pure Python + PyTorch building blocks and experiments of the lesson; never imports streamlit."""
