"""A real local Gradio app shaped like the Stable Diffusion 3.5 Space, for the gradio image source's tests.

`/infer` takes the Space's inputs (prompt, negative_prompt, seed, randomize_seed, width, height,
guidance_scale, num_inference_steps) and returns (a WEBP image, the seed), as the Space does.
`/infer_fails` raises gr.Error, which a client sees as AppError (e.g. a ZeroGPU quota message);
`/infer_slow` takes longer than the tests' timeout. `/flux` is shaped like a FLUX Space instead: (prompt, seed,
randomize_seed, width, height, num_steps), no negative prompt, no guidance.
Launched on 127.0.0.1 with share off, analytics off and no server-side rendering, so nothing leaves
the machine; every call's request headers are recorded to prove which credentials arrived.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # read when gradio is imported

import gradio as gr  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

SLOW_SECONDS = 2.5
QUOTA_MESSAGE = "You have exceeded your GPU quota (scripted by the test app)."


@dataclass
class GradioApp:
    """A running app: its URL, and what each call received."""

    url: str
    calls: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)


def build(app: GradioApp) -> gr.Blocks:
    """The Blocks app; calls and headers are recorded into `app`."""

    def infer(prompt: str, negative_prompt: str, seed: float, randomize_seed: bool, width: float, height: float,
              guidance_scale: float, num_inference_steps: float, request: gr.Request) -> tuple[Image.Image, int]:
        app.headers.append({k.lower(): v for k, v in request.headers.items()})
        app.calls.append({"prompt": prompt, "negative_prompt": negative_prompt, "seed": seed,
                          "randomize_seed": randomize_seed, "width": width, "height": height,
                          "guidance_scale": guidance_scale, "num_inference_steps": num_inference_steps})
        seed = 1234 if randomize_seed else int(seed)
        image = Image.new("RGB", (int(width), int(height)), (20, 40 + seed % 150, 120))
        ImageDraw.Draw(image).rectangle((10, 10, int(width) // 2, int(height) // 2), fill=(250, 230, 120))
        return image, seed

    def infer_fails(prompt: str, negative_prompt: str, seed: float, randomize_seed: bool, width: float,
                    height: float, guidance_scale: float, num_inference_steps: float) -> tuple[Image.Image, int]:
        raise gr.Error(QUOTA_MESSAGE, print_exception=False)

    def infer_slow(prompt: str, negative_prompt: str, seed: float, randomize_seed: bool, width: float,
                   height: float, guidance_scale: float, num_inference_steps: float) -> tuple[Image.Image, int]:
        time.sleep(SLOW_SECONDS)  # longer than the client's timeout in the test
        return Image.new("RGB", (int(width), int(height))), int(seed)

    def flux(prompt: str, seed: float, randomize_seed: bool, width: float, height: float,
             num_steps: float) -> tuple[Image.Image, int]:
        app.calls.append({"prompt": prompt, "seed": seed, "randomize_seed": randomize_seed, "width": width,
                          "height": height, "num_steps": num_steps})
        return Image.new("RGB", (int(width), int(height)), (90, 30, 60)), int(seed)

    with gr.Blocks(analytics_enabled=False) as demo:
        prompt = gr.Text(label="Prompt")
        negative_prompt = gr.Text(label="Negative prompt")
        seed = gr.Slider(0, 2**31 - 1, step=1, value=0, label="Seed")
        randomize_seed = gr.Checkbox(value=True, label="Randomize seed")
        width = gr.Slider(256, 2048, step=32, value=1024, label="Width")
        height = gr.Slider(256, 2048, step=32, value=1024, label="Height")
        guidance_scale = gr.Slider(0.0, 10.0, step=0.1, value=4.5, label="Guidance scale")
        steps = gr.Slider(1, 50, step=1, value=40, label="Number of inference steps")
        result = gr.Image(format="webp", label="Result")
        run, fail, slow = gr.Button("Run"), gr.Button("Fail"), gr.Button("Slow")
        inputs = [prompt, negative_prompt, seed, randomize_seed, width, height, guidance_scale, steps]
        run.click(infer, inputs, [result, seed], api_name="infer")
        fail.click(infer_fails, inputs, [result, seed], api_name="infer_fails")
        slow.click(infer_slow, inputs, [result, seed], api_name="infer_slow")
        num_steps = gr.Slider(1, 50, step=1, value=4, label="Steps")
        gr.Button("Flux").click(flux, [prompt, seed, randomize_seed, width, height, num_steps], [result, seed],
                                api_name="flux")
    return demo


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running() -> Iterator[GradioApp]:
    """Launch the app on 127.0.0.1 and close it on exit."""
    app = GradioApp(url="")
    demo = build(app)
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=_free_port(), prevent_thread_lock=True,
                            share=False, quiet=True, ssr_mode=False, mcp_server=False, inbrowser=False)
    app.url = url
    try:
        yield app
    finally:
        demo.close()
