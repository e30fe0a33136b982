"""Stage 2a, writing: an `Article` becomes a `Draft` (tweets, image prompt, alt text).

The `Writer` protocol, the offline extractive writer, the Hugging Face / OpenAI-compatible model writer,
its Jinja2 prompts and the tolerant parser of model answers. Hands the Draft to `tweets` for checking.
"""
