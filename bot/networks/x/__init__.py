"""X: the HTTP session (OAuth 1.0a, timeouts, errors at the boundary), the API client (tweepy plus v2 media
upload) and the thread publisher (ledger resume, adoption of lost posts, reply fallback, post budget)."""
