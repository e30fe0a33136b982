"""Stage 2b, images: the chain that makes the thread's `Image` (HF text-to-image, a Gradio Space, the feed's
cover, a Pillow title card, in that order of preference), normalised to what the networks accept."""
