"""Tunebench web UI (Gradio Blocks). Never imports torch or transformers: it only calls engine/."""
