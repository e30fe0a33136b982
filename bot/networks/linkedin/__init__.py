"""LinkedIn: the thread as ONE post of at most 3,000 characters (length.py: "little text" escaping, counting and
composing), the Posts, Images and comments API client (client.py) and the exactly-once publisher (post.py)."""
