"""The local twins of the outside world: real servers on 127.0.0.1 that stand in for X, Mastodon, a feed host, an
OpenAI-compatible model, Hugging Face's image API and a Gradio Space, each started and stopped by its test.

One module per service (`xserver`, `mastodonserver`, `feedserver`, `llmserver`, `imageserver`, `gradio_app`);
`localhttp` is what the HTTP ones share. A new network's twin goes here too (`tests/twins/<network>.py`).
"""
