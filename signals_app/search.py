"""How the texts of signals are searched: one place for the words, phrases and their order.

The stored vector (`Signal.search_vector`) uses `cur_russian`: PostgreSQL's Russian snowball
stems with every word kept — «нет», «не», «без» carry the meaning of a complaint («нет воды»),
so the stock configuration's stop list would throw the point of the query away. Its stems
are the stock `russian` ones, so both configurations' queries read the same vector:

- a query with a quoted phrase matches the phrase word for word, stop words included
  (`"нет воды"` is «нет» right before «вода» in any form);
- unquoted words match texts holding every meaningful word (stop words do not narrow the
  result: «яма на дороге» also finds «яма посреди дороги»), and the texts holding all of the
  words typed, stop words included, come first;
- `-word` excludes, `or` widens, as in `websearch_to_tsquery`.

The choice between the two is the SQL function `cur_search_query` (migration 0023), so that
PostgreSQL folds it into a constant and the GIN index serves it.
"""

from __future__ import annotations

from django.contrib.postgres.search import SearchHeadline, SearchQuery
from django.db import connection

CONFIG = "cur_russian"


class MatchQuery(SearchQuery):
    """`cur_search_query(text)`: the phrase-exact or the meaningful-words query (see above)."""

    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.function = "cur_search_query"


def matching(text: str) -> SearchQuery:
    """What a text must hold to be found."""
    return MatchQuery(text)


def every_word(text: str) -> SearchQuery:
    """Every word typed, stop words included: what ranks a text first."""
    return SearchQuery(text, config=CONFIG, search_type="websearch")


def drops_words(text: str) -> bool:
    """Whether the match leaves out words typed (stop words outside a phrase): only then can
    the texts holding every word be told from the others. Otherwise every match holds them
    all and the queue keeps its deadline order, read in index order (a common word over a
    million signals would otherwise rank tens of thousands of rows)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT numnode(cur_search_query(%s)) <> numnode(websearch_to_tsquery(%s, %s))",
            [text, CONFIG, text],
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def headline(text: str, *, start: str, stop: str) -> SearchHeadline:
    """The text's fragment around the words found, marked with `start` and `stop`."""
    return SearchHeadline(
        "text", every_word(text), config=CONFIG, start_sel=start, stop_sel=stop,
        max_words=30, min_words=12, max_fragments=1,
    )  # fmt: skip
