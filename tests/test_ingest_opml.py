"""OPML feed lists: reading 1.0/2.0 (nested, odd attribute case), refusing entity declarations, writing 2.0."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from newsfuse.ingest.opml import OpmlError, OpmlFeed, parse_opml, to_opml
from newsfuse.store.base import FeedRecord

OPML_1 = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<opml version="1.0">
  <head><title>My subscriptions</title></head>
  <body>
    <outline text="Local">
      <outline text="Harbour Courier" type="rss" xmlUrl="https://courier.example/rss" htmlUrl="https://courier.example/"/>
      <outline text="Valley Gazette" type="rss" xmlurl="https://gazette.example/feed.xml"/>
    </outline>
    <outline title="Hill Chronicle" text="hill" type="atom" xmlUrl="https://hill.example/atom"/>
    <outline text="Not a feed, a folder with nothing"/>
    <outline text="Old gopher" xmlUrl="gopher://old.example/feed"/>
    <outline text="Dup" xmlUrl="https://courier.example/rss"/>
  </body>
</opml>
"""


def test_reads_opml_1_with_nesting_and_reports_what_it_left_out():
    feeds, left_out = parse_opml(OPML_1)
    assert feeds == [
        OpmlFeed("https://courier.example/rss", "Harbour Courier", "https://courier.example/", "Local"),
        OpmlFeed("https://gazette.example/feed.xml", "Valley Gazette", None, "Local"),
        OpmlFeed("https://hill.example/atom", "Hill Chronicle", None, None),
    ]
    assert left_out == [
        ("gopher://old.example/feed", "not an http(s) URL"),
        ("https://courier.example/rss", "listed twice"),
    ]


def test_round_trip_through_opml_2():
    records = [
        FeedRecord("https://courier.example/rss", "Harbour Courier & Sons"),
        FeedRecord("https://hill.example/atom?x=1&y=2", None),
    ]
    data = to_opml(records)
    root = ET.fromstring(data)
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.find("head/title").text == "newsfuse feeds"
    assert root.find("head/dateCreated").text.endswith("GMT")
    feeds, left_out = parse_opml(data)
    assert [(f.url, f.title) for f in feeds] == [
        ("https://courier.example/rss", "Harbour Courier & Sons"),
        ("https://hill.example/atom?x=1&y=2", "https://hill.example/atom?x=1&y=2"),
    ]
    assert left_out == []
    assert data.startswith(b"<?xml version='1.0' encoding='utf-8'?>")


def test_empty_list_exports_valid_opml():
    root = ET.fromstring(to_opml([]))
    assert root.find("body") is not None and list(root.find("body")) == []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            b'<opml version="2.0"><body><outline text="&b;" xmlUrl="https://x.example/"/></body></opml>',
            "declares XML entities",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY ext SYSTEM "file:///etc/passwd">]>'
            b'<opml version="2.0"><body><outline text="&ext;" xmlUrl="https://x.example/"/></body></opml>',
            "declares XML entities",
        ),
        (b"<rss version='2.0'><channel/></rss>", "not an OPML document"),
        (b"<opml version='2.0'><head/></opml>", "no <body>"),
        (b"<opml><body><outline></body>", "not well-formed"),
        (b"   ", "empty file"),
    ],
)
def test_refuses_what_is_not_a_safe_opml_document(data: bytes, reason: str):
    with pytest.raises(OpmlError) as ei:
        parse_opml(data)
    assert reason in str(ei.value)


def test_outlines_nested_thousands_deep_are_read_without_recursion():
    depth = 5000
    doc = (
        '<opml version="2.0"><body>'
        + '<outline text="Local">' * depth
        + '<outline text="Deep" xmlUrl="https://deep.example/rss"/>'
        + "</outline>" * depth
        + '<outline text="After" xmlUrl="https://after.example/rss"/></body></opml>'
    ).encode()
    feeds, left_out = parse_opml(doc)
    assert feeds == [
        OpmlFeed("https://deep.example/rss", "Deep", None, "Local"),
        OpmlFeed("https://after.example/rss", "After", None, None),
    ]
    assert left_out == []
