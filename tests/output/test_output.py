"""thread.json follows the contract; preview.html is self-contained, escaped, and shows the image."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.core.errors import OutputError
from bot.core.records import Article, Block, Entry, Image, PostedThread, PublishedTweet, Thread, Tweet, WriterInfo
from bot.output import record as output

PNG_1x1 = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def make_thread(tmp_path: Path, text: str = "Hello <b>world</b> & https://quiet.substack.com/p/x") -> Thread:
    (tmp_path / "image.png").write_bytes(PNG_1x1)
    entry = Entry(feed="https://quiet.substack.com/feed", key="/p/x", guid="https://quiet.substack.com/p/x",
                  link="https://quiet.substack.com/p/x", title="A <script>alert(1)</script> title",
                  published=datetime(2026, 11, 1, 9, 30, tzinfo=UTC), publication="The Quiet Index")
    image = Image(tmp_path / "image.png", alt_text="An alt \"text\"", prompt="p", source="card", mime="image/png", width=1, height=1)
    return Thread(Article(entry, (Block("paragraph", "p"),)), (Tweet(text, 42), Tweet("second", 6)), image,
                  WriterInfo("extractive", "", 0))


def test_thread_json_has_the_contract_keys(tmp_path: Path) -> None:
    thread = make_thread(tmp_path)
    output.write(tmp_path, thread)
    data = json.loads((tmp_path / "thread.json").read_text(encoding="utf-8"))
    assert set(data) == {"entry", "tweets", "image", "writer", "published", "notes"}
    assert data["entry"] == {"feed": "https://quiet.substack.com/feed", "guid": "https://quiet.substack.com/p/x",
                             "link": "https://quiet.substack.com/p/x", "title": "A <script>alert(1)</script> title",
                             "published": "2026-11-01T09:30:00+00:00", "publication": "default"}
    # issue 18: each post carries the passages it stands on (empty here: this thread was not grounded)
    assert data["tweets"][0] == {"text": thread.tweets[0].text, "weighted_length": 42, "evidence": []}
    assert data["image"] == {"path": "image.png", "alt_text": "An alt \"text\"", "prompt": "p", "source": "card"}
    assert data["writer"] == {"backend": "extractive", "model": "", "calls": 0}
    assert data["published"] == []


def test_published_ids_are_written(tmp_path: Path) -> None:
    thread = make_thread(tmp_path)
    posted = PostedThread(thread, (PublishedTweet(1, "111"), PublishedTweet(2, "222")), complete=True)
    output.write(tmp_path, thread, posted)
    data = json.loads((tmp_path / "thread.json").read_text(encoding="utf-8"))
    assert data["published"] == [{"network": "x", "position": 1, "id": "111", "tweet_id": "111", "account": "default"},
                                 {"network": "x", "position": 2, "id": "222", "tweet_id": "222", "account": "default"}]
    assert "id 222" in (tmp_path / "preview.html").read_text(encoding="utf-8")


def test_preview_escapes_article_text_and_embeds_the_image(tmp_path: Path) -> None:
    output.write(tmp_path, make_thread(tmp_path))
    page = (tmp_path / "preview.html").read_text(encoding="utf-8")
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "Hello &lt;b&gt;world&lt;/b&gt; &amp;" in page
    assert "data:image/png;base64," in page and 'src="http' not in page
    assert '<a href="https://quiet.substack.com/p/x"' in page
    assert "42/280" in page and "Nothing has been published." in page


def test_unwritable_output_folder_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot write to the output folder .* choose another with --out"):
        output.prepare_dir(blocker / "out")
