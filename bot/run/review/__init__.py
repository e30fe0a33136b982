"""Review before posting, in one place: the checks an edit passes (`checks`), preparing, editing, approving and
rejecting a draft (`actions`), and the webhook that says a draft waits (`notify`). The drafts themselves are kept
by `state/drafts.py`; the CLI and the page reach review through `run/service.py`."""

from bot.run.review.actions import (
                                    approve,
                                    draft_thread,
                                    drafts_of,
                                    edit,
                                    prepare_draft,
                                    publish_approved,
                                    reject,
                                    review_info,
                                    write_record,
)
from bot.run.review.checks import (
                                    ALT_MAX,
                                    EditRefused,
                                    alt_problem,
                                    check_tweet,
                                    label,
                                    network_counter,
                                    network_name,
                                    tweets_of,
)

__all__ = ["ALT_MAX", "EditRefused", "alt_problem", "approve", "check_tweet", "draft_thread", "drafts_of", "edit",
           "label", "network_counter", "network_name", "prepare_draft", "publish_approved", "reject", "review_info",
           "tweets_of", "write_record"]
