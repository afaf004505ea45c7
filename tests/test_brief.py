"""Briefs on a fictional three-outlet story (written for these tests) and on the shared seeds."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

from newsfuse.brief import build_brief
from newsfuse.brief.render import to_html, to_json, to_markdown
from newsfuse.brief.select import standalone_problem
from newsfuse.brief.sentences import split_sentences
from newsfuse.config import Settings
from newsfuse.model import Article, Brief, CheckReport, Verdict

SHARED = Path(__file__).resolve().parents[2] / "shared"


class HashingEncoder:
    """Deterministic bag-of-words + character-trigram encoder: fast and model-free for tests."""

    dim = 384

    def encode(self, texts):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for r, t in enumerate(texts):
            words = re.findall(r"[a-z0-9]+", t.lower())
            feats = words + [w[i : i + 3] for w in words for i in range(max(1, len(w) - 2))]
            for f in feats:
                h = int(hashlib.md5(f.encode()).hexdigest()[:8], 16)
                out[r, h % self.dim] += 1.0 if (h >> 9) & 1 else -1.0
            n = np.linalg.norm(out[r])
            if n:
                out[r] /= n
        return out


ENC = HashingEncoder()

HARBOUR = Article(
    id="a-harbour",
    outlet="Harbour Gazette",
    url="https://gazette.example/ferry-fire",
    title="Ferry fire at Port Halvard injures 12",
    text=(
        "PORT HALVARD (Harbour Gazette) - A fire broke out on the passenger ferry Nordlys at Port Halvard on "
        "Tuesday morning, and 12 people were injured, officials said.\n"
        "The blaze started in the engine room shortly after the ferry left the dock with 230 passengers aboard. "
        "Fire Chief Maria Okafor said crews reached the vessel within eight minutes. "
        '"We acted as fast as we could, and everyone was brought ashore safely," said Okafor. '
        "She added that the cause was still unknown. "
        "The ferry was towed back to the dock by two tugboats before noon."
    ),
)
COAST = Article(
    id="a-coast",
    outlet="Coast Daily",
    url="https://coastdaily.example/nordlys",
    title="Fire on ferry Nordlys leaves 14 hurt at Port Halvard",
    text=(
        "A fire on the passenger ferry Nordlys at Port Halvard on Tuesday morning left 14 people injured, "
        "according to the regional health authority.\n"
        "The fire started in the engine room soon after the ferry left the dock carrying 230 passengers. "
        'Fire Chief Maria Okafor told reporters: "Our crews were on the ferry within eight minutes of the first '
        'call." '
        "Two tugboats towed the ferry back to the dock before noon. "
        "Dr. Samuel Reyes of St. Brigid Hospital said most of the injured had minor burns and smoke inhalation."
    ),
)
ISLAND = Article(
    id="a-island",
    outlet="Island Post",
    url="https://islandpost.example/ferry",
    title="Passengers rescued after engine fire on Halvard ferry",
    text=(
        "A fire on the passenger ferry Nordlys at Port Halvard injured 12 people on Tuesday morning.\n"
        "The fire began in the engine room shortly after the ferry left the dock with 230 passengers on board. "
        '"We acted as fast as we could, and everyone was brought ashore safely," Okafor said. '
        "The ferry operator, Blue Line Ferries, said it would suspend all sailings on the route until Friday. "
        "Two tugboats towed the ferry back to the dock before noon."
    ),
)
STORY = [HARBOUR, COAST, ISLAND]


@pytest.fixture(scope="module")
def brief() -> Brief:
    return build_brief("story-ferry", STORY, encoder=ENC, settings=Settings(key_points=4, synthesis_sentences=4))


def _by_id():
    return {a.id: a for a in STORY}


def _assert_citations_real(cites):
    arts = _by_id()
    for c in cites:
        art = arts[c.article_id]
        assert c.outlet == art.outlet
        assert art.text[c.start : c.end] == c.text
        assert split_sentences(art)[c.sentence_index].text == c.text


# ----------------------------------------------------------------------------------------------- sentences


def test_split_sentences_news_text_keeps_offsets():
    text = (
        "TOKYO (Reuters) - The U.S. Navy said on Jan. 5 that Dr. John A. Smith, 45, was injured. "
        '"It was bad. Very bad," said Mayor J. R. Ortiz of St. Louis. The mayor left at 5 p.m. on Thursday.\n'
        "A HEADLINE WITHOUT A STOP\nGov. Gavin Newsom (D-Calif.) said the U.K. would meet. Officials agreed."
    )
    art = Article(id="x", title="", text=text, outlet="o")
    sents = split_sentences(art)
    got = [s.text for s in sents]
    assert got == [
        "TOKYO (Reuters) - The U.S. Navy said on Jan. 5 that Dr. John A. Smith, 45, was injured.",
        '"It was bad. Very bad," said Mayor J. R. Ortiz of St. Louis.',
        "The mayor left at 5 p.m. on Thursday.",
        "A HEADLINE WITHOUT A STOP",
        "Gov. Gavin Newsom (D-Calif.) said the U.K. would meet.",
        "Officials agreed.",
    ]
    for i, s in enumerate(sents):
        assert text[s.start : s.end] == s.text and s.index == i and s.article_id == "x" and s.outlet == "o"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a quotation that ends one sentence and another that opens the next
        (
            'The mayor called the levy "a tax on commuters." "Nobody voted for it," a driver said.',
            ['The mayor called the levy "a tax on commuters."', '"Nobody voted for it," a driver said.'],
        ),
        # the same with curly quotes, and a curly quotation that closes a sentence mid-paragraph
        (
            "The clerk said it was “finished.” “We start again,” she added. The hall was empty by noon.",
            ["The clerk said it was “finished.”", "“We start again,” she added.", "The hall was empty by noon."],
        ),
        # a state abbreviation inside a name's title: the piece after it starts with a comma
        (
            "Senator Ann Moyer, R-Ky., blocked the harbour bill on Friday. Her office gave no reason.",
            ["Senator Ann Moyer, R-Ky., blocked the harbour bill on Friday.", "Her office gave no reason."],
        ),
        # a dateline that ends in a state abbreviation, then a dash
        (
            "DOVER, Del. — The county board voted to close two schools. Parents were not told.",
            ["DOVER, Del. — The county board voted to close two schools.", "Parents were not told."],
        ),
        # the same with an ASCII dash
        (
            "SALEM, Ore. - The board met on Monday. It adjourned before noon.",
            ["SALEM, Ore. - The board met on Monday.", "It adjourned before noon."],
        ),
        # a quotation opened curly and closed straight: the sentence end after it is still seen
        (
            'The coach said “fine." He left the room. It rained all evening.',
            ['The coach said “fine."', "He left the room.", "It rained all evening."],
        ),
        # a clock time goes on with its day, date or time zone; a name after it starts a sentence
        (
            "Police said the shots were fired at 12:04 a.m. Friday near the pier. Two men were hurt.",
            ["Police said the shots were fired at 12:04 a.m. Friday near the pier.", "Two men were hurt."],
        ),
        (
            "Polls close at 8 p.m. ET on Tuesday. The count starts at 9 p.m. May said she would wait.",
            ["Polls close at 8 p.m. ET on Tuesday.", "The count starts at 9 p.m.", "May said she would wait."],
        ),
        (
            "Polls close at 8 p.m. Eastern Standard Time. Counting starts later.",
            ["Polls close at 8 p.m. Eastern Standard Time.", "Counting starts later."],
        ),
        # what only looks like a day, a date or a zone starts a sentence of its own
        (
            "Kickoff was at 7 p.m. Friday's game was cancelled. The clinic opens at 9 a.m. CT scans come later.",
            [
                "Kickoff was at 7 p.m.",
                "Friday's game was cancelled.",
                "The clinic opens at 9 a.m.",
                "CT scans come later.",
            ],
        ),
        (
            "The office shut at 5 p.m. June 2020 was the worst month.",
            ["The office shut at 5 p.m.", "June 2020 was the worst month."],
        ),
        # a dash after an ordinary short sentence (not a cut dateline) starts a piece of its own
        (
            "The vote was close. — Reporting by Ann Lee; editing by Tom Hay.",
            ["The vote was close.", "— Reporting by Ann Lee; editing by Tom Hay."],
        ),
        # Chinese: sentence ends need no space, also after a closing quotation mark
        (
            "市政府周一宣布新地铁线明年开通。官员说：“这是重要的一步。”市民表示欢迎！",
            ["市政府周一宣布新地铁线明年开通。", "官员说：“这是重要的一步。”", "市民表示欢迎！"],
        ),
        # a short attribution after the quotation stays with it
        (
            "“这是重要的一步。”他说。市民表示欢迎。",
            ["“这是重要的一步。”他说。", "市民表示欢迎。"],
        ),
        # Japanese corner brackets
        (
            "知事は「計画は来年始まる。」と述べた。「費用は未定だ。」議会は反発した。",
            ["知事は「計画は来年始まる。」と述べた。", "「費用は未定だ。」", "議会は反発した。"],
        ),
    ],
)
def test_split_sentences_quotes_and_abbreviated_states(text, expected):
    art = Article(id="q", title="", text=text, outlet="o")
    sents = split_sentences(art)
    assert [s.text for s in sents] == expected
    for s in sents:
        assert text[s.start : s.end] == s.text


def test_split_sentences_empty_article():
    assert split_sentences(Article(id="e", title="t", text="", outlet="o")) == []


# ----------------------------------------------------------------------------------------------- the brief


def test_citations_point_to_real_source_sentences(brief):
    groups = [brief.key_points, brief.synthesis, brief.agreement, brief.only_one, brief.quotes]
    groups.append(brief.figure_conflicts)
    n = 0
    for group in groups:
        for item in group:
            _assert_citations_real(item.citations)
            n += len(item.citations)
    assert n > 10


def test_synthesis_and_key_points(brief):
    assert 3 <= len(brief.key_points) <= 5
    assert brief.synthesis
    for s in brief.synthesis + brief.key_points:
        assert s.citations, s.text
    # the event everyone reports is cited to all three outlets
    assert any(len(k.outlets) == 3 for k in brief.key_points)
    assert brief.outlets == sorted(a.outlet for a in STORY)
    assert brief.article_ids == [a.id for a in STORY]
    assert brief.method == "extractive" and brief.generated_at


def test_pronoun_leading_sentence_not_selected_unrepaired(brief):
    for s in brief.synthesis + brief.key_points:
        assert not s.text.startswith("She added"), s.text
        assert standalone_problem(s.text) is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Former Senator Ruth Okafor said on Monday she would run for governor.", None),
        ("The former mayor of Dunmore was charged with fraud on Thursday by state prosecutors.", None),
        ("The former said the plan would cost the city far more than promised.", "leading reference"),
        ("The latter's proposal was rejected by the council in a 7-2 vote.", "leading reference"),
        ("Latter, too, was never built, according to the city's records.", "leading reference"),
        ("But the council voted against the proposal on Monday night.", "leading reference"),
        ("She added that the vote would be held again next month.", "continuation"),
        ("This week, the council voted against the new stadium plan for a second time.", None),
        ("So far, 12 people have been confirmed dead in the flooding upriver.", None),
        ("There were 14 confirmed measles cases in the county last month.", None),
        ("There, the senator met with the families of the miners for an hour.", "leading reference"),
        ("This is the council's third vote against the stadium plan.", "leading reference"),
    ],
)
def test_standalone_problem_names_and_time_phrases_vs_references(text, problem):
    # "Former X" names someone and "This week" dates; "the former", "the latter", "this" point back
    assert standalone_problem(text) == problem


def test_headline_neutral_and_representative(brief):
    assert brief.headline
    assert brief.headline in {clean for clean in (a.title for a in STORY)}
    assert not re.search(r"\b(slams|chaos|shocking)\b", brief.headline, re.I)


def test_quotes_carry_speakers_and_merge_across_outlets(brief):
    assert brief.quotes
    for q in brief.quotes:
        assert q.speaker, q.text
        _assert_citations_real(q.citations)
    fast = [q for q in brief.quotes if "acted as fast as we could" in q.text]
    assert len(fast) == 1
    assert fast[0].speaker == "Maria Okafor"
    assert {c.outlet for c in fast[0].citations} == {"Harbour Gazette", "Island Post"}
    crews = [q for q in brief.quotes if "within eight minutes" in q.text]
    assert crews and crews[0].speaker == "Maria Okafor"


def test_only_one_names_the_outlet(brief):
    suspend = [k for k in brief.only_one if "suspend all sailings" in k.text]
    assert suspend and [c.outlet for c in suspend[0].citations] == ["Island Post"]
    hospital = [k for k in brief.only_one if "St. Brigid" in k.text]
    assert hospital and hospital[0].citations[0].outlet == "Coast Daily"
    for k in brief.only_one:
        assert len({c.outlet for c in k.citations}) == 1


def test_agreement_lists_shared_facts(brief):
    assert brief.agreement
    texts = " ".join(k.text for k in brief.agreement)
    assert "engine room" in texts
    for k in brief.agreement:
        assert len(k.outlets) >= 2


def test_figure_conflict_detected(brief):
    conflicts = [f for f in brief.figure_conflicts if set(f.values.values()) >= {"12", "14"}]
    assert conflicts, brief.figure_conflicts
    c = conflicts[0]
    assert c.values["Coast Daily"] == "14"
    assert c.values.get("Harbour Gazette", c.values.get("Island Post")) == "12"
    assert {x.outlet for x in c.citations} >= {"Coast Daily"}
    # figures everyone agrees on (230 passengers, eight minutes) are no conflict
    assert not any("230" in f.values.values() for f in brief.figure_conflicts)


def test_entities_counted_per_outlet(brief):
    names = {e.name: e for e in brief.entities}
    assert "Maria Okafor" in names and names["Maria Okafor"].label == "PERSON"
    assert set(names["Maria Okafor"].counts) >= {"Harbour Gazette", "Coast Daily"}
    assert any(e.label == "PLACE" and "Halvard" in e.name for e in brief.entities)


def _mentions(text: str, spans: list[tuple[str, str]]):
    """Mentions of ``(surface, label)`` at their first occurrence after the previous one (as the NER gives them)."""
    from newsfuse.brief.entities import Mention

    out, cursor = [], 0
    for surface, label in spans:
        i = text.index(surface, cursor)
        out.append(Mention(i, i + len(surface), label, surface, label))
        cursor = i + len(surface)
    return out


def test_entity_kinds_titles_and_short_forms():
    from newsfuse.brief.entities import build_entities, kind_from_name

    a = Article(
        id="e1",
        title="",
        outlet="Valley Post",
        text=(
            "ORWELL FALLS — Superintendent Lena Farrow said Kestrel Biologics will close its plant on Foundry Lane. "
            "Kestrel employs 300 people in Orwell Falls. Kestrel Biologics did not comment. "
            "Turnout at the meeting was high, and turnout at the vote was low. "
            "Kestrel said the east bank site would be sold. Kestrel shares fell."
        ),
    )
    b = Article(
        id="e2",
        title="",
        outlet="Town Crier",
        text=(
            "A buffet by Orwell Foods followed. Orwell residents were angry at Kestrel, and Orwell shops shut. "
            "The House Judiciary Committee will hold a hearing; the House votes in May, the House Judiciary "
            "Committee said, and the House may not."
        ),
    )
    ma = _mentions(
        a.text,
        [
            ("ORWELL FALLS", "PERSON"),
            ("Superintendent Lena Farrow", "PERSON"),
            ("Kestrel Biologics", "PERSON"),
            ("Foundry Lane", "PERSON"),
            ("Kestrel", "PERSON"),
            ("Orwell Falls", "PLACE"),
            ("Kestrel Biologics", "ORG"),
            ("Turnout", "PERSON"),
            ("Kestrel", "ORG"),
            ("east bank", "PLACE"),
            ("Kestrel", "PERSON"),
        ],
    )
    mb = _mentions(
        b.text,
        [
            ("Orwell Foods", "ORG"),
            ("Orwell", "PERSON"),
            ("Kestrel", "ORG"),
            ("Orwell", "PERSON"),
            ("House Judiciary Committee", "ORG"),
            ("House", "ORG"),
            ("House Judiciary Committee", "ORG"),
            ("House", "ORG"),
        ],
    )
    ents = {e.name: e for e in build_entities([a, b], [ma, mb])}
    # the last word settles the kind of a multi-word name the model called a person
    assert ents["Foundry Lane"].label == "PLACE"
    # a job title is not part of a name
    assert "Lena Farrow" in ents and "Superintendent Lena Farrow" not in ents
    # an all-caps dateline joins the same place written normally
    assert ents["Orwell Falls"].label == "PLACE" and ents["Orwell Falls"].total == 2
    # the short form of a company folds into it, whatever label the model gave the short form
    assert ents["Kestrel Biologics"].label == "ORG" and "Kestrel" not in ents
    assert ents["Kestrel Biologics"].counts == {"Valley Post": 5, "Town Crier": 1}
    # a frequent one-word name does not fold into a venue named once after it
    assert "Orwell" in ents and "Orwell Foods" in ents
    # a body's first word is not its short form: "the House" is not the House Judiciary Committee
    assert ents["House"].total == 2 and ents["House Judiciary Committee"].total == 2
    # an ordinary word capitalised only where a sentence starts, and a lower-case phrase, are not names
    assert "Turnout" not in ents and "east bank" not in ents
    assert kind_from_name("Diner on Main Street", "ORG") == "ORG"
    # a job title is stripped from a person only: "Justice Department" keeps its first word
    c = Article(id="e3", title="", outlet="o", text="The Justice Department sued. Judge Ada Brill agreed.")
    mc = _mentions(c.text, [("Justice Department", "ORG"), ("Judge Ada Brill", "PERSON")])
    assert {(e.name, e.label) for e in build_entities([c], [mc])} == {
        ("Justice Department", "ORG"),
        ("Ada Brill", "PERSON"),
    }
    assert kind_from_name("Lane", "PERSON") == "PERSON"


def test_framing_per_outlet(brief):
    assert {f.outlet for f in brief.framing} == {a.outlet for a in STORY}
    for f in brief.framing:
        assert f.headline == next(a.title for a in STORY if a.outlet == f.outlet)


def test_single_article_story():
    b = build_brief("solo", [COAST], encoder=ENC)
    assert b.headline == COAST.title
    assert b.synthesis and all(s.citations for s in b.synthesis)
    assert {c.outlet for s in b.synthesis for c in s.citations} == {"Coast Daily"}
    assert b.only_one == [] and b.agreement == []
    assert b.outlets == ["Coast Daily"]


def test_untitled_articles_get_a_headline():
    arts = [Article(id=a.id, title="", text=a.text, outlet=a.outlet) for a in STORY]
    b = build_brief("untitled", arts, encoder=ENC)
    assert b.headline and any(b.headline in a.text for a in arts)
    assert not b.headline.endswith(".")  # a lead sentence, shown as a headline without its full stop


def test_a_cut_off_derived_title_is_not_the_headline():
    from newsfuse.extract import extract_article
    from newsfuse.model import RawDocument

    def untitled(name, text):  # a plain-text file with no headline line: extraction derives a cut title
        return extract_article(RawDocument(kind="text", location=f"/in/{name}.txt", payload=("\n" + text).encode()))

    long_lead = (
        "A fire on the passenger ferry Nordlys at Port Halvard on Tuesday morning injured 12 people, the regional "
        "health authority said, as crews towed the burning vessel back to the dock before noon.\n"
        "The blaze started in the engine room shortly after the ferry left the dock with 230 passengers aboard."
    )
    other = (
        "Fire crews reached the ferry Nordlys at Port Halvard within eight minutes on Tuesday, officials said, "
        "and all 230 passengers and crew were brought ashore before the ferry was towed back.\n"
        "Fire crews brought the Nordlys fire under control within an hour, officials at Port Halvard said."
    )
    arts = [untitled("a", long_lead), untitled("b", other)]
    assert all(a.title.endswith("…") for a in arts)  # both titles are cut-off first sentences
    b = build_brief("cut", arts, encoder=ENC)
    assert not b.headline.endswith("…")
    assert any(b.headline in a.text for a in arts)  # a whole sentence of one of them, as written
    titled = [*arts, COAST]  # a real headline is preferred to a cut-off sentence
    assert build_brief("cut2", titled, encoder=ENC).headline == COAST.title


class _Checker:
    def __init__(self, label):
        self.label = label
        self.calls = []

    def check(self, summary, sources):
        self.calls.append(list(summary))
        return CheckReport(verdicts=[Verdict(sentence=s, label=self.label, score=0.9) for s in summary])


def test_repair_published_only_when_checker_supports():
    settings = Settings(key_points=5, synthesis_sentences=6)
    yes = _Checker("supported")
    b = build_brief("r", STORY, encoder=ENC, checker=yes, settings=settings)
    repaired = [s.text for s in b.synthesis + b.key_points if s.text.startswith("Maria Okafor added")]
    no = _Checker("unsupported")
    b2 = build_brief("r", STORY, encoder=ENC, checker=no, settings=settings)
    assert not any(s.text.startswith(("She added", "Maria Okafor added")) for s in b2.synthesis + b2.key_points)
    if yes.calls:  # the repair was considered: it was checked first
        assert any(t.startswith("Maria Okafor added") for call in yes.calls for t in call)
        assert all(t in yes.calls[0] for t in repaired)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("But the ferry was towed back to the dock before noon.", "The ferry was towed back to the dock before noon."),
        ("However, officials said the cause was still unknown.", "Officials said the cause was still unknown."),
        ("Meanwhile, a second ferry kept to its timetable all day.", "A second ferry kept to its timetable all day."),
        ("But iPhone sales fell by a third in the quarter.", "iPhone sales fell by a third in the quarter."),
        # what is left must stand alone
        ("And he said the cause was still unknown to the crew.", None),
        ("But, she added, the cause was unknown.", None),
        # not connectives: no comma after "Still"/"Also", or a word that only looks like one
        ("Still images showed smoke above the engine room.", None),
        ("Also on Tuesday the port reopened to traffic.", None),
        ("However hard the crew tried, the fire spread to the car deck.", None),
        ("Andersen said the ferry had been inspected in May.", None),
    ],
)
def test_leading_connective_is_dropped_only_when_the_rest_stands_alone(text, expected):
    from newsfuse.brief import _drop_connective

    assert _drop_connective(text) == expected


def test_connective_repair_goes_through_the_checker():
    extra = Article(
        id="a-extra",
        outlet="Island Post",
        title="Ferry fire: port says cause unknown",
        text=(
            "However, the port authority said the cause of the ferry fire at Port Halvard was still unknown. "
            "A fire on the ferry Nordlys injured 12 people on Tuesday."
        ),
    )
    settings = Settings(key_points=5, synthesis_sentences=6)
    yes, no = _Checker("supported"), _Checker("unsupported")
    b = build_brief("c", [HARBOUR, extra], encoder=ENC, checker=yes, settings=settings)
    fixed = "The port authority said the cause of the ferry fire at Port Halvard was still unknown."
    assert yes.calls and fixed in yes.calls[0]
    assert len(yes.calls) == 1  # checked once for the key points and the synthesis together
    b2 = build_brief("c", [HARBOUR, extra], encoder=ENC, checker=no, settings=settings)
    published = [s.text for s in b2.synthesis + b2.key_points]
    assert fixed not in published and not any(t.startswith("However") for t in published)
    kp = next(s for s in b.key_points if s.text == fixed)  # published, citing its own article
    assert kp.citations[0].article_id == "a-extra"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("WASHINGTON (AP) — The council approved the budget on Monday.", "The council approved the budget on Monday."),
        ("LONDON, Jan 5 (Reuters) - Ferry services resumed on Tuesday.", "Ferry services resumed on Tuesday."),
        ("WEST PALM BEACH, Fla.—The council approved the budget.", "The council approved the budget."),
        ("U.S. - China talks resumed on Monday in Geneva after a pause.", None),  # not a dateline
        ("NASA said on Monday the launch would be delayed by a week.", None),
        ("PARIS — Too short.", None),  # too little would be left
        ("SANTA FE, New Mexico — The state closed two highways on Monday.", "The state closed two highways on Monday."),
        ("ST. LOUIS, Mo., Sept. 12 (AP) — The council met on Monday night.", "The council met on Monday night."),
    ],
)
def test_dateline_prefix(text, expected):
    from newsfuse.brief import _undated

    assert _undated(text) == expected


def test_dateline_is_cut_when_the_checker_agrees_and_kept_otherwise():
    lead = HARBOUR.text.split("\n")[0]
    cut = lead.split(" - ", 1)[1]
    settings = Settings(key_points=5, synthesis_sentences=3)
    yes, no = _Checker("supported"), _Checker("unsupported")
    b = build_brief("d", [HARBOUR], encoder=ENC, checker=yes, settings=settings)
    assert cut in yes.calls[0]
    texts = [s.text for s in b.key_points + b.synthesis]
    assert cut in texts and lead not in texts
    b2 = build_brief("d", [HARBOUR], encoder=ENC, checker=no, settings=settings)
    assert lead in [s.text for s in b2.key_points]  # the sentence as written stays publishable


def test_only_one_shows_the_checked_dateline_cut():
    wire = Article(
        id="a-wire",
        outlet="Nordic Wire",
        title="Coast guard sends boats to Port Halvard",
        text=(
            "OSLO (Nordic Wire) - Norway's coast guard sent two patrol boats from Bergen to Port Halvard on Tuesday.\n"
            "A fire on the ferry Nordlys injured 12 people at Port Halvard on Tuesday morning."
        ),
    )
    lead = wire.text.split("\n")[0]
    cut = lead.split(" - ", 1)[1]
    settings = Settings(key_points=3, synthesis_sentences=3)
    yes, no = _Checker("supported"), _Checker("unsupported")
    shown = [kp.text for kp in build_brief("w", [*STORY, wire], encoder=ENC, checker=yes, settings=settings).only_one]
    shown_no = [kp.text for kp in build_brief("w", [*STORY, wire], encoder=ENC, checker=no, settings=settings).only_one]
    assert lead in shown_no and cut not in shown_no  # only the wire reports the boats: shown as written
    assert cut in shown and lead not in shown  # the checked cut is shown instead


def test_agreement_shows_the_checked_dateline_cut():
    wire = Article(
        id="w1",
        outlet="Nordic Wire",
        title="Coast guard boats sent to Port Halvard",
        text=(
            "OSLO (Nordic Wire) - Norway's coast guard sent two patrol boats from Bergen to Port Halvard on Tuesday.\n"
            "The boats will stay near the harbour until the ferry Nordlys is repaired, the coast guard said."
        ),
    )
    times = Article(
        id="w2",
        outlet="Fjord Times",
        title="Patrol boats head to Port Halvard",
        text=(
            "BERGEN (Fjord Times) - Norway's coast guard sent two patrol boats from Bergen to Port Halvard on "
            "Tuesday morning.\nThe ferry Nordlys caught fire on Tuesday with 230 passengers aboard."
        ),
    )
    settings = Settings(key_points=3, synthesis_sentences=3)
    # both leads carry a dateline, so whichever outlet's words represent the shared fact, it has one to cut
    agreed = build_brief("a", [wire, times], encoder=ENC, checker=_Checker("supported"), settings=settings).agreement
    as_written = build_brief("a", [wire, times], encoder=ENC, checker=_Checker("unsupported"), settings=settings)
    assert as_written.agreement and as_written.agreement[0].text.startswith(("OSLO (Nordic", "BERGEN (Fjord"))
    assert agreed and agreed[0].text.startswith("Norway's coast guard sent two patrol boats")
    assert {c.article_id for c in agreed[0].citations} == {"w1", "w2"}


def test_agreement_and_only_one_show_the_text_they_are_given():
    from newsfuse.brief import analyse
    from newsfuse.brief.compare import agreement, only_one

    an = analyse(STORY, ENC)
    agreed = agreement(an.facts, an.units, an.scores, 3)
    rep = next(k for k, u in enumerate(an.units) if u.text == agreed[0].text)
    assert agreement(an.facts, an.units, an.scores, 3, texts={rep: "Rewritten."})[0].text == "Rewritten."
    single = only_one(an.facts, an.units, an.scores, 3)
    k = next(k for k, u in enumerate(an.units) if u.text == single[0].text)
    assert only_one(an.facts, an.units, an.scores, 3, texts={k: "Rewritten."})[0].text == "Rewritten."


# ----------------------------------------------------------------------------------------------- renderers


def test_html_escapes_hostile_text():
    evil = Article(
        id="evil",
        outlet='Bad <b>"Outlet"</b>',
        url="javascript:alert(1)",
        title="<script>alert('x')</script> Ferry fire at Port Halvard",
        text=COAST.text + ' A reader wrote "<img src=x onerror=alert(1)> is not a tag here at all".',
    )
    b = build_brief("evil", [evil, HARBOUR], encoder=ENC)
    page = to_html(b)
    assert "<script>" not in page and "<img" not in page and "<b>" not in page
    assert "&lt;script&gt;" in page
    assert "javascript:" not in page
    assert page.startswith("<!DOCTYPE html>")
    frag = to_html(b, standalone=False)
    assert frag.startswith("<article") and "<script" not in frag


def test_html_citations_are_superscript_links_with_source_text(brief):
    page = to_html(brief)
    sups = re.findall(r'<sup class="cite">\[(.*?)\]</sup>', page)
    assert sups
    first = brief.synthesis[0].citations[0]
    import html as _html

    assert f'title="{_html.escape(first.outlet + ": " + first.text, quote=True)}"' in page
    assert 'id="src-1"' in page


def test_markdown_and_json(brief):
    md = to_markdown(brief)
    assert md.startswith("# ")
    assert "## Key points" in md and "## Sources" in md and "[^1]:" in md
    data = json.loads(to_json(brief))
    assert data["story_id"] == "story-ferry"
    again = Brief.from_dict(data)
    assert again == brief


def test_a_point_whose_sources_disagree_on_a_figure_is_flagged_where_it_is_shown():
    """A synthesis sentence or key point citing a sentence of a figure conflict carries a pointer to it in
    every rendering; one citing no such sentence does not."""
    from newsfuse.model import Citation, FigureConflict, KeyPoint, SynthesisSentence

    hurt_a = Citation("a1", "Harbour Gazette", 0, "12 people were hurt in the ferry fire.")
    hurt_b = Citation("b1", "Coast Daily", 2, "Fourteen people were treated for injuries.")
    sailed = Citation("a1", "Harbour Gazette", 1, "The ferry sailed from Port Halvard at 9 a.m.")
    disputed = SynthesisSentence("12 people were hurt in the ferry fire.", [hurt_a])
    plain = KeyPoint("The ferry sailed from Port Halvard at 9 a.m.", [sailed])
    conflict = FigureConflict("people hurt", {"Harbour Gazette": "12", "Coast Daily": "Fourteen"}, [hurt_a, hurt_b])
    b = Brief(
        story_id="s", headline="Ferry fire", key_points=[plain], synthesis=[disputed], figure_conflicts=[conflict]
    )
    # cites a sentence of the conflict but states none of its figures: nothing to flag
    about = KeyPoint("Outlets disagree on how many were hurt.", [hurt_a, hurt_b])
    assert b.disputes(disputed) == [conflict] and b.disputes(plain) == [] and b.disputes(about) == []
    assert b.disputes(KeyPoint("Some 12 people were hurt.", [hurt_a])) == [conflict]
    assert b.disputes(KeyPoint("In 2012 people were hurt.", [hurt_a])) == []  # "12" inside a longer number
    md = to_markdown(b)
    assert md.count("see “Figures that differ”") == 1
    assert "hurt in the ferry fire.[^2] *(Outlets give different figures here: see “Figures that differ”)*" in md
    page = to_html(b)
    assert page.count('class="disputed"') == 1 and 'href="#figures"' in page and 'id="figures"' in page
    b.figure_conflicts = []
    assert 'class="disputed"' not in to_html(b) and "Figures that differ" not in to_markdown(b)


# ----------------------------------------------------------------------------------------------- seeds


def _seed_article(prefix: str) -> Article:
    from newsfuse.extract import extract_article
    from newsfuse.model import RawDocument

    path = next((SHARED / "seeds").glob(f"{prefix}_*.txt"))
    # the extractor drops the page junk (a comment prompt, an all-caps related-story headline), as ingest does
    art = extract_article(RawDocument(kind="text", location=str(path), payload=path.read_bytes()))
    raw = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert 0 < len(raw) - len(art.text.split("\n")) <= 2  # only the junk lines went
    return Article(id=f"seed-{prefix}", title="", text=art.text, outlet=f"outlet-{prefix}")


@pytest.mark.shared
@pytest.mark.skipif(not (SHARED / "seeds").is_dir(), reason="needs ../shared/seeds (the shared data checkout)")
def test_seed_brief():
    arts = [_seed_article("000"), _seed_article("002")]
    b = build_brief("seeds", arts, encoder=ENC)
    by_id = {a.id: a for a in arts}
    assert b.synthesis
    for s in b.synthesis:
        outlets = {c.outlet for c in s.citations}
        assert outlets and outlets <= {"outlet-000", "outlet-002"}
        for c in s.citations:
            assert by_id[c.article_id].text[c.start : c.end] == c.text
    assert b.quotes and all(q.speaker for q in b.quotes)
    assert b.only_one
    for k in b.only_one:
        (outlet,) = {c.outlet for c in k.citations}
        own = by_id[k.citations[0].article_id]
        assert own.outlet == outlet and k.text in own.text
    # a fact only 002 reports (the Meiji-period history) is named as 002's
    assert any("Meiji" in k.text and k.citations[0].outlet == "outlet-002" for k in b.only_one) or any(
        k.citations[0].outlet == "outlet-000" for k in b.only_one
    )


def test_many_articles_quotes_beyond_the_lead_are_kept():
    filler = " ".join(f"Crews inspected section {i} of the hull on Wednesday." for i in range(1, 9))
    late = '"The hull is sound and the ferry will sail again next month," said inspector Lena Haug.'
    arts = [
        Article(id=f"m{i}", title=f"Ferry inspection update {i}", text=f"{filler} {late}", outlet=f"outlet-{i}")
        for i in range(12)
    ]
    b = build_brief("many", arts, encoder=ENC)
    q = [q for q in b.quotes if "hull is sound" in q.text]
    assert q and q[0].speaker == "Lena Haug"
    assert len({c.outlet for c in q[0].citations}) == 12
    for c in q[0].citations:
        art = next(a for a in arts if a.id == c.article_id)
        assert art.text[c.start : c.end] == c.text and c.sentence_index == 8


def test_coverage_terms_and_subsets():
    """The synthesis objective's terms: corroboration, titles, leads and uncorroborated concepts."""
    from types import SimpleNamespace

    from newsfuse.brief.select import candidate_subsets, coverage_terms

    units = [
        SimpleNamespace(text="The harbour bridge reopened on Tuesday.", pos=0),
        SimpleNamespace(text="Engineers praised the quick repairs.", pos=1),
    ]
    bodies = ["The harbour bridge reopened on Tuesday.", "Harbour bridge reopened after repairs.", "Ferries ran."]
    titles = ["Bridge reopens", "", ""]
    terms = coverage_terms(units, np.array([0.3, 0.1]), titles, bodies, [0, 1])((0,))
    assert terms["corroboration"] == 3.0  # harbour, bridge, reopened: one more article each
    assert terms["title"] == 2.0  # bridge, reopen(s): each in one title
    assert terms["lead"] == 1.0 and terms["per_sentence"] == 1.0
    assert terms["uncorroborated"] == 1.0  # tuesday
    sims = np.array([[1.0, 0.2], [0.2, 1.0]])
    assert candidate_subsets([0, 1], 3, [0, 1], sims) == [(0,), (1,), (0, 1)]
    assert candidate_subsets([0, 1], 3, [0, 0], sims) == [(0,), (1,)]  # one fact: never both
    assert candidate_subsets([0, 1], 3, None, sims) == [(0,), (1,), (0, 1)]  # facts not enforced
    assert candidate_subsets([0, 1], 3, None, np.ones((2, 2))) == [(0,), (1,)]  # paraphrases: never both


def test_title_bigram_term_counts_each_headline_phrase_once_per_title():
    """A selection earns one point per title for each word pair it shares with that title (stemmed, as ROUGE-2
    counts them); a pair two selected sentences share is counted once."""
    from types import SimpleNamespace

    from newsfuse.brief.select import bigram_set, coverage_terms

    assert ("harbour", "bridg") in bigram_set("Harbour Bridges")
    assert bigram_set("Bridge reopens!") == bigram_set("bridge, reopened") == {("bridg", "reopen")}
    assert ("à", "montréal") in bigram_set("Élection à Montréal")  # accented letters stay in their word
    units = [
        SimpleNamespace(text="The harbour bridge reopened on Tuesday.", pos=0),
        SimpleNamespace(text="The harbour bridge had been shut since May.", pos=3),
    ]
    titles = ["Harbour bridge reopens", "Harbour bridge shut no more", ""]
    bodies = ["a", "b", "c"]
    terms = coverage_terms(units, np.array([0.3, 0.1]), titles, bodies, [0, 1])
    assert terms((0,))["title_bigram"] == 3.0  # harbour bridge (2 titles) + bridge reopen (1)
    assert terms((1,))["title_bigram"] == 2.0  # harbour bridge only: "shut since" is not "shut no"
    assert terms((0, 1))["title_bigram"] == 3.0


def test_text_cut_short_by_a_feed_is_never_a_point_of_the_brief():
    """A feed or a crawl that keeps only the start of an article ends it mid-sentence with an ellipsis: that
    sentence is not whole, so no section shows it, even when it is the most salient one."""
    cut = "Councillor Ana Ruiz, who has pushed for the ferry terminal since 2019, said the vote would decide whether…"
    arts = [
        Article(
            id=f"c{i}",
            title=f"Harbour town votes on ferry terminal {i}",
            text=(
                "Harbour town residents packed the community hall on Tuesday to debate a new ferry terminal. "
                f"The regional transport agency would pay for a larger dock able to take {i + 2} vessels. {cut}"
            ),
            outlet=f"outlet-{i}",
        )
        for i in range(3)
    ]
    b = build_brief("cut", arts, encoder=ENC, settings=Settings(synthesis_sentences=3, key_points=3))
    shown = [p.text for p in [*b.key_points, *b.synthesis, *b.agreement, *b.only_one]]
    assert shown and not any(t.endswith("…") for t in shown), shown
    assert b.headline and not b.headline.endswith("…")


def test_entity_spellings_with_a_middle_initial_or_as_an_acronym_are_one_entity():
    from newsfuse.brief.entities import build_entities

    a = Article(
        id="v1",
        title="",
        outlet="Valley Post",
        text="Governor Ann B. Moyer met Kessington Regional Transit. Ann Moyer said KRT would pay. KRT agreed.",
    )
    b = Article(
        id="v2",
        title="",
        outlet="Town Crier",
        text="Ann Moyer spoke. The KRT board met the Kessington Regional Transit staff.",
    )
    ma = _mentions(
        a.text,
        [
            ("Ann B. Moyer", "PERSON"),
            ("Kessington Regional Transit", "ORG"),
            ("Ann Moyer", "PERSON"),
            ("KRT", "ORG"),
            ("KRT", "ORG"),
        ],
    )
    mb = _mentions(b.text, [("Ann Moyer", "PERSON"), ("KRT", "ORG"), ("Kessington Regional Transit", "ORG")])
    ents = {e.name: e for e in build_entities([a, b], [ma, mb])}
    assert set(ents) == {"Ann Moyer", "Kessington Regional Transit"}, sorted(ents)
    assert ents["Ann Moyer"].counts == {"Valley Post": 2, "Town Crier": 1}
    assert ents["Kessington Regional Transit"].counts == {"Valley Post": 3, "Town Crier": 2}


def test_a_one_word_person_written_as_a_location_is_a_place():
    """The demo's strike story: "Westgate" (a district) was tagged a person twice and a place once ("who lives in
    Westgate"), and the person label won by count. A name after "in" or "near" is a location; "to" and "from"
    also come before people, and a possessive after "in" ("in Biden's plan") is not a location."""
    from newsfuse.brief.entities import build_entities

    text = (
        "She takes the bus from Westgate. A shuttle from the Westgate rail station runs. Ada Fontaine, who lives "
        "in Westgate, agreed. A letter to Biden went out; in Biden's plan, Biden said. Town Manager Felix Oduro."
    )
    a = Article(id="w1", title="", outlet="Gazette", text=text)
    ma = _mentions(
        text,
        [
            ("Westgate", "PERSON"),
            ("Westgate", "PERSON"),
            ("Ada Fontaine", "PERSON"),
            ("Westgate", "PLACE"),
            ("Biden", "PERSON"),
            ("Biden", "PERSON"),
            ("Biden", "PERSON"),
            ("Town", "ORG"),
            ("Felix Oduro", "PERSON"),
        ],
    )
    ents = {e.name: (e.label, e.total) for e in build_entities([a], [ma])}
    assert ents == {
        "Westgate": ("PLACE", 3),
        "Ada Fontaine": ("PERSON", 1),
        "Biden": ("PERSON", 3),
        "Felix Oduro": ("PERSON", 1),
    }
    # a person written after "in" stays a person when the tagger never calls the name a place
    text = "Republicans expressed confidence in Zelensky. Zelensky thanked them. Aides met in Reyes' office. Reyes left. Reyes said no."
    b = Article(id="w2", title="", outlet="Wire", text=text)
    mb = _mentions(
        text,
        [("Zelensky", "PERSON"), ("Zelensky", "PERSON"), ("Reyes", "PLACE"), ("Reyes", "PERSON"), ("Reyes", "PERSON")],
    )
    assert {e.name: e.label for e in build_entities([b], [mb])} == {"Zelensky": "PERSON", "Reyes": "PERSON"}


def test_a_surname_joins_its_person_when_the_full_name_is_also_written_with_a_middle_name():
    """Before the middle-name spellings were folded first, "Cuomo" had two candidate owners ("Andrew M. Cuomo",
    "Andrew Cuomo") and stayed a third entity (seen in AllSides stories)."""
    from newsfuse.brief.entities import build_entities

    a = Article(id="m1", title="", outlet="Times", text="Gov. Andrew M. Cuomo spoke. Ronna Romney McDaniel agreed.")
    b = Article(
        id="m2", title="", outlet="Journal", text="Andrew Cuomo said so. Cuomo left. Ronna McDaniel and McDaniel."
    )
    ma = _mentions(a.text, [("Andrew M. Cuomo", "PERSON"), ("Ronna Romney McDaniel", "PERSON")])
    mb = _mentions(
        b.text,
        [("Andrew Cuomo", "PERSON"), ("Cuomo", "PERSON"), ("Ronna McDaniel", "PERSON"), ("McDaniel", "ORG")],
    )
    ents = {(e.name.split()[0], e.name.split()[-1]): e.counts for e in build_entities([a, b], [ma, mb])}
    # (shown under the spelling written most often, the longer one on a tie: "Andrew M. Cuomo")
    assert ents == {
        ("Andrew", "Cuomo"): {"Times": 1, "Journal": 2},
        ("Ronna", "McDaniel"): {"Times": 1, "Journal": 2},
    }


def test_a_town_in_a_dateline_is_a_place_whatever_the_tagger_said():
    from newsfuse.brief.entities import build_entities

    a = Article(
        id="d1", title="", outlet="Valley Post", text="DUNMORE — The plant will close. Dunmore lost its mill in 2009."
    )
    b = Article(
        id="d2",
        title="",
        outlet="Town Crier",
        text="TOLLERBY, Westmarch (Wire) — A dairy recalled cheese. Westmarch inspectors visited Dunmore.",
    )
    ma = _mentions(a.text, [("Dunmore", "PERSON")])
    mb = _mentions(b.text, [("Westmarch", "ORG"), ("Dunmore", "PERSON")])
    ents = {e.name: e for e in build_entities([a, b], [ma, mb])}
    assert ents["Dunmore"].label == "PLACE" and ents["Dunmore"].counts == {"Valley Post": 1, "Town Crier": 1}
    assert ents["Westmarch"].label == "PLACE"
    # a one-word dateline in capitals is the same place written normally; an acronym stays as written
    c = Article(id="d3", title="", outlet="Wire", text="WASHINGTON — NATO met. Washington agreed with NATO.")
    mc = _mentions(c.text, [("WASHINGTON", "PLACE"), ("NATO", "ORG"), ("Washington", "PLACE"), ("NATO", "ORG")])
    assert {e.name: e.total for e in build_entities([c], [mc])} == {"Washington": 2, "NATO": 2}


def test_tagger_fragments_are_not_entities():
    """Spans the small tagger gets wrong, as seen in AllSides and seed stories: a portfolio word cut from a
    title, a hyphenated pair of the story's own places, a name cut short, a bracket left open, an editor's
    brackets, a weapon's designation, and a place written with "region" after it."""
    from newsfuse.brief.entities import build_entities

    text = (
        "Defense Secretary Pete Hegseth visited Tokyo. The U.S.-Japan alliance covers Japan and the United States. "
        "The Department of Justice and the World Health Organization (WHO) said the AIM-120 missile and COVID-19 "
        "matter. [Vladimir] Putin spoke. The Asia-Pacific region and the Asia-Pacific watched. Apple CEO Tim "
        "Cook and Apple agreed; Defense, the firm, too."
    )
    a = Article(id="f1", title="", outlet="Wire", text=text)
    ma = _mentions(
        text,
        [
            ("Defense", "ORG"),
            ("Pete Hegseth", "PERSON"),
            ("Tokyo", "PLACE"),
            ("U.S.-Japan", "ORG"),
            ("Japan", "PLACE"),
            ("United States", "PLACE"),
            ("Department of", "ORG"),
            ("World Health Organization (WHO", "ORG"),
            ("AIM-120", "ORG"),
            ("COVID-19", "PERSON"),
            ("[Vladimir] Putin", "PERSON"),
            ("Asia-Pacific region", "PLACE"),
            ("Asia-Pacific", "PLACE"),
            ("Apple", "ORG"),
            ("Tim Cook", "PERSON"),
            ("Apple", "ORG"),
            ("Defense", "ORG"),
        ],
    )
    ents = {e.name: e.total for e in build_entities([a], [ma])}
    assert ents == {
        "Pete Hegseth": 1,
        "Tokyo": 1,
        "Japan": 1,
        "United States": 1,
        "World Health Organization": 1,
        "Vladimir Putin": 1,
        "Asia-Pacific": 2,
        "Apple": 2,  # "Apple CEO": a company's own name before a job title stays
        "Tim Cook": 1,
        "Defense": 1,  # the one mention that is not the start of a title
    }
    # kept: a balanced bracket, a name ending in a capitalised "In", a group named with one letter, an en-dash
    # pair of names the story does not mention on their own; dropped: "Commerce Dept." and an en-dash pair
    text = "Tesla (TSLA) rose. Moon Jae In spoke. The G-7 met. US–Iran talks. US and China. US–China ties. Commerce Dept. officials."
    b = Article(id="f2", title="", outlet="Wire", text=text)
    mb = _mentions(
        text,
        [
            ("Tesla (TSLA)", "ORG"),
            ("Moon Jae In", "PERSON"),
            ("G-7", "ORG"),
            ("US–Iran", "ORG"),
            ("US", "PLACE"),
            ("China", "PLACE"),
            ("US–China", "ORG"),
            ("Commerce", "ORG"),
        ],
    )
    assert {e.name for e in build_entities([b], [mb])} == {
        "Tesla (TSLA)",
        "Moon Jae In",
        "G-7",
        "US–Iran",
        "United States",
        "China",
    }


@pytest.mark.parametrize(
    ("mention", "name"),
    [
        ("Lt. Col. Ray Dunn", "Ray Dunn"),
        ("the Rev. Alma Greer", "Alma Greer"),
        ("Mr Osei", "Osei"),  # British style, no stop
        ("President Dr. Ines Varga", "Ines Varga"),
        ("Hon Hai Precision", "Hon Hai Precision"),  # a company, not "Hon." before a name
        ("Drummond's", "Drummond"),
    ],
)
def test_entity_names_lose_titles_but_not_name_words(mention, name):
    from newsfuse.brief.entities import normalise

    assert normalise(mention) == name
