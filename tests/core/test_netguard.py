"""The test run never leaves 127.0.0.1, children included, and the product asks nothing of Hugging Face when it
is told to use another server (BOT_LLM_BASE_URL)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.botproc import bot_env, run_bot
from twins.llmserver import LLMServer, good_thread


def test_a_connection_to_a_public_address_fails_loudly_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_NETLOG", str(tmp_path / "refused.log"))  # this test's attempts are expected
    with pytest.raises(ConnectionRefusedError, match="network guard: refused a connection to \\('93.184.215.14', 80\\)"):
        socket.create_connection(("93.184.215.14", 80), timeout=1)
    with pytest.raises(OSError, match="network guard: refused a name lookup of 'huggingface.co'"):
        socket.getaddrinfo("huggingface.co", 443)
    assert (tmp_path / "refused.log").read_text().count("network guard: refused") == 2


def test_a_child_process_cannot_leave_loopback_either(tmp_path: Path) -> None:
    env = {**bot_env(tmp_path), "TEST_NETLOG": str(tmp_path / "refused.log")}
    code = "import socket; socket.create_connection(('1.1.1.1', 443), timeout=1)"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode != 0 and "network guard: refused a connection to ('1.1.1.1', 443)" in done.stderr
    assert "1.1.1.1" in (tmp_path / "refused.log").read_text()
    ok = subprocess.run([sys.executable, "-c", "import socket; socket.getaddrinfo('localhost', 80)"], env=env,
                        capture_output=True, text=True, timeout=30)
    assert ok.returncode == 0, ok.stderr  # loopback stays allowed


def test_a_local_model_server_means_no_request_to_hugging_face(tmp_path: Path) -> None:
    netlog = tmp_path / "refused.log"
    tweets = ["Small newsletters win because readers chose them.", "Lists under two thousand open at 58 percent.",
              "A thousand readers who would miss you beat a hundred thousand."]
    with LLMServer(script=[good_thread(tweets)]) as llm:
        env = {**bot_env(tmp_path, BOT_LLM_BASE_URL=llm.base_url, BOT_LLM_API_KEY="fake-local-key-5151",
                         HF_TOKEN="fake-hf-token-5151"), "TEST_NETLOG": str(netlog)}
        result = run_bot(["post", "--dry-run"], env, tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(llm.chats()) == 1 and "Small newsletters win because readers chose them." in result.stdout
    assert not netlog.exists(), netlog.read_text()  # not even the hub's agent list or provider lookup
