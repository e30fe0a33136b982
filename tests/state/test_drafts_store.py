"""The draft table on SQLite and PostgreSQL: one draft per entry even when writers race, ids that reviewers can
type, state changes the database decides (a rejected draft stays rejected), and the entry that follows them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from dbs import fresh_postgres

from bot.core import settings as config
from bot.core.records import Entry, Plan, PublishedTweet
from bot.state.drafts import DraftNotFound, DraftStore, entry_from_json, entry_json
from bot.state.store import Store

NOW = 1_800_000_000.0


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    settings = config.load({"BOT_STORE_SQLITE_PATH": str(tmp_path / "default.db")}, dotenv=None)
    urls = iter([f"sqlite:///{tmp_path / 'bot.db'}"]) if request.param == "sqlite" else fresh_postgres()
    url = next(urls)
    s = Store.open(url, settings)
    yield s
    s.close()
    for _ in urls:  # drops the PostgreSQL database
        pass


def entry(slug: str) -> Entry:
    return Entry(feed="F", key=f"/p/{slug}", guid=f"g-{slug}", link=f"https://a.example/p/{slug}", title=f"<b>{slug}</b>",
                 html="<p>Hello <a href='https://src.com/x'>src</a></p>")


def prepared(store: Store, slug: str) -> Entry:
    e = entry(slug)
    store.upsert_entries("F", [e], "new", NOW)
    store.save_plan("F", e.key, Plan.from_dict({"tweets": [{"text": "one", "weighted_length": 3}],
                                                "image": {"alt_text": "alt"}}))
    return e


def test_one_draft_per_entry_even_when_two_writers_race(store: Store) -> None:
    entries = [prepared(store, f"post-{i}") for i in range(4)]
    drafts, ids, errors = DraftStore(store), [], []

    def create(e: Entry) -> None:
        try:
            ids.append((e.key, drafts.create(e, "F", "", "daemon", "w", NOW).id))
        except Exception as exc:  # the test reports it below
            errors.append(exc)

    workers = [threading.Thread(target=create, args=(e,)) for e in entries for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors
    by_entry: dict[str, set[int]] = {}
    for key, ident in ids:
        by_entry.setdefault(key, set()).add(ident)
    assert all(len(v) == 1 for v in by_entry.values())  # every writer got the same draft for an entry
    assert sorted(i for v in by_entry.values() for i in v) == [1, 2, 3, 4]
    assert [d.entry_row["status"] for d in drafts.listing()] == ["draft"] * 4


def test_state_changes_are_decided_by_the_database(store: Store) -> None:
    drafts = DraftStore(store)
    d = drafts.create(prepared(store, "a"), "F", "", "cli", "me", NOW)
    assert drafts.set_state(d.id, "rejected", "web", "web 127.0.0.1", NOW + 1, expect=("draft",))
    assert not drafts.set_state(d.id, "approved", "cli", "me", NOW + 2, expect=("draft",))  # too late
    assert drafts.rejected("F", "/p/a") and store.entry("F", "/p/a")["status"] == "declined"
    assert store.due("F", NOW + 10, 5) == [] and store.retry("/p/a", NOW)["status"] == "declined"
    assert store.entry("F", "/p/a")["status"] == "declined"  # `bot retry` does not bring it back

    e = drafts.create(prepared(store, "b"), "F", "", "cli", "me", NOW)
    assert drafts.set_state(e.id, "scheduled", "cli", "me", NOW, expect=("draft",), publish_at=NOW + 60)
    assert [r["key"] for r in store.due("F", NOW + 30, 5)] == []  # not yet
    assert [r["key"] for r in store.due("F", NOW + 61, 5)] == ["/p/b"]  # the daemon takes it up when due
    store.ledger("F", "/p/b", now=lambda: NOW).record(PublishedTweet(1, "111"))
    assert not drafts.set_state(e.id, "rejected", "web", "x", NOW + 62, expect=("draft", "scheduled"))
    drafts.mark_posted("F", "/p/b", NOW + 63)  # a thread partly on X cannot be rejected, only finished
    assert drafts.get(e.id).state == "posted"
    assert [(ev["state"], ev["via"]) for ev in drafts.events(e.id)] == [
        ("draft", "cli"), ("scheduled", "cli"), ("posted", "cli")]
    with pytest.raises(DraftNotFound):
        drafts.get("nope")


def test_the_entry_kept_with_a_draft_round_trips_and_a_plan_holds_a_thread_per_network() -> None:
    e = entry("a")
    assert entry_from_json(entry_json(e)) == e
    # A plan saved before v7: X's thread is its top-level `tweets` (what `threads` held for X is not what is posted).
    plan = Plan.from_dict({"tweets": [{"text": "x1", "weighted_length": 2}],
                           "threads": {"bluesky": [{"text": "b1", "weighted_length": 2}], "x": [{"text": "ignored"}]}})
    assert plan.names() == ("x", "bluesky")
    assert [(p.text, p.weighted_length) for p in plan.posts("x")] == [("x1", 2)]
    assert [(p.text, p.weighted_length) for p in plan.posts("bluesky")] == [("b1", 2)]
    assert Plan.from_json(plan.to_json()) == plan  # one encoding, read back as it was


def test_an_edit_changes_x_s_thread_and_no_other(store: Store) -> None:
    from bot.run import review

    e = prepared(store, "n")
    store.save_plan("F", e.key, Plan.from_dict(
        {"tweets": [{"text": "one", "weighted_length": 3}], "image": {"alt_text": "alt"},
         "threads": {"x": {"limit": 280, "tweets": [{"text": "one", "weighted_length": 3}]},
                     "bluesky": {"limit": 300, "tweets": [{"text": "b", "weighted_length": 1}]}}}))
    d = DraftStore(store).create(e, "F", "", "cli", "me", NOW)
    with pytest.raises(review.EditRefused, match="src2.com"):
        review.edit(store, d.id, "cli", "me", NOW, tweet=1, text="see https://src2.com/y")
    review.edit(store, d.id, "cli", "me", NOW, tweet=1, text="Hello, see https://src.com/x")
    plan = store.load_plan("F", e.key)
    assert plan is not None and plan.posts("x")[0].text == "Hello, see https://src.com/x"
    assert plan.posts("x")[0].weighted_length == 11 + 23
    assert [(p.text, p.weighted_length) for p in plan.posts("bluesky")] == [("b", 1)]


def test_an_edit_that_loses_the_race_to_approve_changes_nothing(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.run import review

    e = prepared(store, "raced")
    d = DraftStore(store).create(e, "F", "", "daemon", "t", NOW)
    review.approve(store, d.id, "web", "tab A", NOW + 1)  # tab A approves ...
    # ... just after tab B's edit found the draft still waiting (its check ran first)
    from bot.run.review import actions

    monkeypatch.setattr(actions, "_editable", lambda draft: None)
    with pytest.raises(review.EditRefused, match="approved"):
        review.edit(store, d.id, "web", "tab B", NOW + 2, tweet=1, text="Hello")  # the article says it
    plan = store.load_plan("F", e.key)
    assert plan is not None and plan.posts("x")[0].text == "one"  # the thread being published stays as approved
