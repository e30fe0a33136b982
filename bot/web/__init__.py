"""The review page: drafts to approve and edit, history, the poll trigger, health and metrics (Starlette + uvicorn)."""
