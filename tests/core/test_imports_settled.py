"""Rows a feed recognises as already applied (core.imports `Feed.settled`, `Row.digest`): counted as
unchanged and never handled, so a re-delivered file costs a read and a look-up. And the plain-line
reading behind it: a CSV without quotes is split on its lines, exactly as `csv` reads it."""
import pytest

from core import imports
from core.imports import Feed, import_data, read_import

pytestmark = pytest.mark.django_db  # each batch runs in a transaction

COLUMNS = ("code", "name", "size")


class RememberingFeed(Feed):
    """Remembers the digest of every row it handles, as a feed stores it with what it applied."""

    columns = COLUMNS
    key_column = "code"
    outcome_labels = {"created": "создано", "unchanged": "без изменений", "rejected": "отклонено"}

    def __init__(self):
        self.applied: dict[str, int] = {}
        self.handled: list[int] = []
        self.asked: list[dict] = []

    def handle_batch(self, rows, result):
        for row in rows:
            self.handled.append(row.number)
            self.applied[row.values["code"]] = row.digest
            result.count("created")

    def settled(self, digests):
        self.asked.append(digests)
        return {code for code, digest in digests.items() if self.applied.get(code) == digest}


def widgets(*rows: str, header: str = "code,name,size") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def run(feed: Feed, data: bytes):
    feed.handled = []
    return import_data(data, feed)


def test_a_re_delivered_file_is_settled_without_handling_a_row():
    feed = RememberingFeed()
    first = run(feed, widgets("W1,Альфа,1", "W2,Бета,2", "W3,Гамма,3"))
    assert (first.counts["created"], feed.handled) == (3, [2, 3, 4])
    again = run(feed, widgets("W3,Гамма,3", "W1,Альфа,1", "W2,Бета,2"))  # another order: the same rows
    assert dict(again.counts) == {"unchanged": 3}
    assert feed.handled == []
    assert again.exit_code == 0


def test_a_changed_cell_a_space_or_another_header_is_another_row():
    feed = RememberingFeed()
    run(feed, widgets("W1,Альфа,1", "W2,Бета,2", "W3,Гамма,3"))
    changed = run(feed, widgets("W1,Альфа,1", "W2,Бета,20", "W3, Гамма,3"))
    assert (changed.counts["unchanged"], feed.handled) == (1, [3, 4])
    # The same cells under another header mean other values (name and size swapped): handled again.
    swapped = run(feed, widgets("W1,1,Альфа", header="code,size,name"))
    assert (swapped.counts["unchanged"], feed.handled) == (0, [2])


def test_a_key_the_file_repeats_is_never_settled_so_the_repeat_is_reported():
    feed = RememberingFeed()
    run(feed, widgets("W1,Альфа,1"))
    result = run(feed, widgets("W1,Альфа,1", "W1,Альфа,1"))
    assert feed.handled == [2]
    assert result.counts["rejected"] == 1
    assert "уже встречалось в строке 2" in result.errors[0].reason


def test_a_quoted_file_is_read_by_csv_and_gives_the_same_digests():
    feed = RememberingFeed()
    run(feed, widgets("W1,Альфа,1", "W2,Бета,2"))
    quoted = run(feed, widgets("W1,Альфа,1", "W2,Бета,2", 'W3,"Гамма, Дельта",3'))
    assert not read_import(widgets('W3,"Гамма, Дельта",3'), columns=COLUMNS).plain
    assert (quoted.counts["unchanged"], feed.handled) == (2, [4])
    assert feed.applied["W3"] is not None


def test_only_rows_with_a_key_and_of_a_plain_size_are_asked_about():
    feed = RememberingFeed()
    huge = "Я" * (imports.MAX_CELL + 1)
    run(feed, widgets(",Без кода,1", f"W2,{huge},2", "W3,Гамма,3", "", ",,"))
    assert list(feed.asked[0]) == ["W3"]  # W2's oversized row was rejected, never applied


def test_a_feed_without_settled_is_not_asked_and_json_lines_are_not_settled():
    class Plain(RememberingFeed):
        settled = Feed.settled

    feed = Plain()
    assert run(feed, widgets("W1,Альфа,1")).counts["created"] == 1
    assert run(feed, widgets("W1,Альфа,1")).counts["created"] == 1
    remembering = RememberingFeed()
    line = b'{"code": "W1", "name": "x", "size": "1"}\n'
    import_data(line, remembering, name="w.jsonl")
    assert import_data(line, remembering, name="w.jsonl").counts["created"] == 1
    assert remembering.asked == []


@pytest.mark.parametrize("text", [
    "code,name,size\nA1,Альфа,3\n",
    "\ufeffcode,name,size\nA1,Альфа,3\nA2,Бета,4\n",
    "code;name;size\r\nA1;Альфа;3\r\nA2; Б ;\r\n",
    "code,name,size\n\nA1,x,1\n,,\n  ,  ,  \nA2,y,2,\nA3,z,3,extra\nA4\n",
    "code,,size\nA1,skipped,3\n",
    "code\tname\tsize\nA1\tАльфа\t3",
    "code;name;size\r\n\r\nA1;x;1\r\n \t\xa0;;\u2003\r\n;\r\nA2;y;2\r\n\r\n",
    "code,name,size\n\nA1,x,1\n\n\n",
    "code,name,size\nA1,x,1\n,\t,\n\n   ",
])
def test_plain_lines_read_exactly_as_csv_does(text, monkeypatch):
    def rows(file):
        return [(r.number, r.values, r.problem, r.digest) for r in file.rows()], file.row_count, file.present

    data = text.encode()
    plain = read_import(data, columns=COLUMNS, required=())
    assert plain.plain
    expected = rows(plain)
    monkeypatch.setattr(imports, "_is_plain", lambda data: False)
    by_csv = read_import(data, columns=COLUMNS, required=())
    assert not by_csv.plain
    assert rows(by_csv) == expected
    # The settling pass reads the same keys and digests as the rows carry, by either reading.
    for file in (plain, by_csv):
        payloads = {number: (key, imports._hashed(file.hasher, payload))
                    for number, key, payload in imports._keyed_payloads(file, 0)}
        assert [(r.number, r.values["code"], r.digest) for r in file.rows() if r.values["code"]] == [
            (number, key, digest) for number, (key, digest) in payloads.items() if key]


@pytest.mark.parametrize("text", ['code,name,size\nA1,"x",1\n', "code,name,size\rA1,x,1\r"])
def test_quotes_or_lone_carriage_returns_are_read_by_csv(text):
    assert not read_import(text.encode(), columns=COLUMNS).plain
