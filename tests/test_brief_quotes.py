"""Quotations and their speakers, on made-up paragraphs shaped like the cases a review of real briefs found."""

from __future__ import annotations

import re

import pytest

from newsfuse.brief.quotes import find_quotes
from newsfuse.brief.sentences import split_sentences
from newsfuse.model import Article


def _quotes(text: str, people: list[str]) -> list[tuple[str, str | None]]:
    """(quotation, speaker) pairs of ``text``; ``people`` stands in for spaCy's PERSON mentions."""
    art = Article(id="q", title="", text=text, outlet="Test Post")
    persons = sorted((m.start(), name) for name in people for m in re.finditer(re.escape(name), text))
    return [(q.text, q.speaker) for q in find_quotes(art, split_sentences(art), persons)]


@pytest.mark.parametrize(
    ("text", "people", "speaker"),
    [
        # a title before the name is neither the speaker nor kept in it
        (
            '"Please do not eat them, even if they look and smell fine," said Dr. Miriam Osterhout, the state '
            "epidemiologist.",
            ["Miriam Osterhout"],
            "Miriam Osterhout",
        ),
        ('"The vote will happen on Thursday night," said Sen. Ann Moyer.', ["Ann Moyer"], "Ann Moyer"),
        # an organisation and a role before the name
        (
            '"We pulled everything from that plant as soon as we heard," said Greenfield spokeswoman Paula Drummond.',
            ["Paula Drummond"],
            "Paula Drummond",
        ),
        # "said" followed by a time, not a name
        ('"The bridge will stay closed until July," said on Tuesday the county engineer.', [], None),
    ],
)
def test_speaker_after_the_quotation(text, people, speaker):
    got = _quotes(text, people)
    assert len(got) == 1 and got[0][1] == speaker


def test_a_pronoun_means_the_sentence_subject_not_the_last_name_mentioned():
    text = (
        "Council leader Mara Quist wrote to her members on Sunday, quoting her old coach Tom Hale. "
        '"We are going to bring the budget to a vote this week," she told a television interviewer.'
    )
    assert _quotes(text, ["Mara Quist", "Tom Hale"]) == [
        ("We are going to bring the budget to a vote this week", "Mara Quist")
    ]


def test_a_second_quotation_in_the_paragraph_keeps_the_speaker():
    text = (
        '"The roof went first," said fire chief Tomas Varga. "After that we fought it from the street '
        'for six hours."\nA neighbour said the smoke was "thick enough to taste from the end of the road."'
    )
    got = _quotes(text, ["Tomas Varga"])
    assert got[0][1] == "Tomas Varga" and got[1] == (
        "After that we fought it from the street for six hours.",
        "Tomas Varga",
    )
    assert got[2][1] is None or got[2][1] == "a neighbour"  # the next paragraph is someone else


def test_a_name_in_the_sentence_is_the_speaker_only_when_a_speech_verb_follows_it():
    found = _quotes(
        'The report found that Governor Alan Reyes allowed "spending to grow unchecked for three straight years."',
        ["Alan Reyes"],
    )
    assert found == [("spending to grow unchecked for three straight years.", None)]
    found = _quotes(
        'Mayor Ines Ruiz, who chairs the board, said the plan was "a promise kept to the whole valley."',
        ["Ines Ruiz"],
    )
    assert found == [("a promise kept to the whole valley.", "Ines Ruiz")]


@pytest.mark.parametrize(
    "text",
    [
        # a book title and an event name
        'Ortiz wrote a book, "Notes From The Harbour Road Before The Storm", before the race.',
        'Hundreds joined the "Save Our Harbour Ferry Rally Downtown" on Saturday.',
        # quotation marks paired across a paragraph break: the narrative between them is not a quote
        '"It is over," she said.\nThe board then voted to turn over the files "without delay," a clerk said.',
    ],
)
def test_text_that_is_not_somebodys_words_is_not_a_quote(text):
    quotes = [q for q, _ in _quotes(text, [])]
    assert not any("Storm" in q or "Rally" in q or "board then voted" in q for q in quotes), quotes


@pytest.mark.parametrize(
    "text",
    [
        '"We will rebuild the bridge this year," said Ann Moyer late Tuesday.',
        '"We will rebuild the bridge this year," said Ann Moyer outside City Hall.',
    ],
)
def test_words_after_the_name_are_not_the_speaker(text):
    assert _quotes(text, ["Ann Moyer"])[0][1] == "Ann Moyer"


def test_the_next_quotation_is_not_given_to_the_last_speaker_when_someone_else_is_named():
    text = (
        '"The plan is a disaster for the city," Smith said. Council member Ann Jones called it '
        '"a reasonable first step toward reform."'
    )
    assert [s for _, s in _quotes(text, ["Smith", "Ann Jones"])] == ["Smith", None]


def test_a_shouted_quotation_is_still_a_quotation():
    assert _quotes('"THIS VOTE IS A DISGRACE TO EVERY TAXPAYER!" Moyer wrote online.', ["Moyer"]) == [
        ("THIS VOTE IS A DISGRACE TO EVERY TAXPAYER!", "Moyer")
    ]


def test_a_closing_mark_taken_for_an_opening_one_is_tried_again():
    # straight quotes: '"temporary"' is too short to keep; the regex then pairs its closing mark with the next
    # opening one, and the narrative between them is not a quote, but the quotation after it is found
    text = (
        'The mayor called the county\'s "temporary" levy that pays for most road repairs an "unfair tax on '
        'families who commute to work," aides said.'
    )
    assert [q for q, _ in _quotes(text, [])] == ["unfair tax on families who commute to work"]


def test_a_quotation_that_runs_into_the_next_paragraph_ends_at_the_break():
    text = (
        '"We should be thanking the crews for what they did that night. They are the ones who deserve it.\n'
        '"The council will have to pay for the repairs," he said at the meeting on Saturday night.'
    )
    quotes = [q for q, _ in _quotes(text, [])]
    assert (
        quotes[0] == "We should be thanking the crews for what they did that night. They are the ones who deserve it."
    )
    assert quotes[1] == "The council will have to pay for the repairs"


def test_narrative_after_a_paragraph_break_is_not_part_of_the_quotation():
    text = (
        'He said: "We will appeal this ruling in every court.\n'
        'The judge left without comment, and "nobody expected that outcome," a clerk said.'
    )
    assert [q for q, _ in _quotes(text, [])] == [
        "We will appeal this ruling in every court.",
        "nobody expected that outcome",
    ]


def test_a_surname_is_the_person_named_before_the_quotation_not_the_last_one_in_the_article():
    """Found in review: '"...," Henning said' became the defendant's wife, named later in the article."""
    text = (
        "Former minister Karl Henning went on trial on Monday.\n"
        '"I never took a single cent from anyone," Henning said.\n'
        "His wife, Petra Henning, sat in the front row."
    )
    assert _quotes(text, ["Karl Henning", "Petra Henning"]) == [
        ("I never took a single cent from anyone", "Karl Henning")
    ]


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ('"The building needs repairs we cannot afford," according to board chair Ruth Adeyemi.', "Ruth Adeyemi"),
        (
            '"The jury will decide on evidence, not headlines," according to the presiding judge, Maria Lenz.',
            "Maria Lenz",
        ),
    ],
)
def test_according_to_after_the_quotation_names_the_speaker(text, speaker):
    people = [speaker]
    assert [s for _q, s in _quotes(text, people)] == [speaker]
