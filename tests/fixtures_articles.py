"""Small real-shaped articles written for the tests: two events of one kind, two outlets each."""

from __future__ import annotations

import json
from pathlib import Path

ARTICLES = [
    {
        "url": "https://harborledger.example/2026/03/02/kessler-mill-fire",
        "title": "Fire guts historic Kessler textile mill in Dunmore",
        "source": "Harbor Ledger",
        "published": "2026-03-02T07:10:00+00:00",
        "author": "Mira Holt",
        "text": (
            "A fire tore through the disused Kessler textile mill in Dunmore late on Sunday, destroying the "
            "roof of the 1890s building and sending smoke across the river district.\n"
            "Fire chief Tomas Varga said 60 firefighters from four stations fought the blaze for six hours. "
            '"The building was a maze of old timber floors, and we had to fight it from outside," Varga said.\n'
            "No one was hurt. Police closed Canal Street overnight and asked residents to keep windows shut.\n"
            "The mill had been due to become housing next year under a plan approved by the council in 2025."
        ),
    },
    {
        "url": "https://valleycourier.example/news/dunmore-mill-blaze",
        "title": "Dunmore mill blaze: six-hour fight to save riverside landmark",
        "source": "Valley Courier",
        "published": "2026-03-02T09:30:00+00:00",
        "author": "Sam Okafor",
        "text": (
            "Firefighters spent six hours battling a blaze at the Kessler mill in Dunmore on Sunday night, "
            "as flames destroyed the roof of the empty textile factory on Canal Street.\n"
            "Chief Tomas Varga said crews from four stations were called and that nobody was injured.\n"
            "Neighbours said they saw flames through the upper windows just before 11pm. Investigators will "
            "examine the site on Tuesday; the cause of the fire is not yet known.\n"
            "The developer behind the planned conversion to flats said it was too early to say what could be saved."
        ),
    },
    {
        "url": "https://harborledger.example/2026/03/05/port-talbot-warehouse-fire",
        "title": "Warehouse fire at Larkspur port destroys shipping stock",
        "source": "Harbor Ledger",
        "published": "2026-03-05T18:00:00+00:00",
        "author": "Mira Holt",
        "text": (
            "A warehouse at the Larkspur container port burned on Thursday afternoon, destroying furniture "
            "and electronics waiting for export, the port authority said.\n"
            "Port director Helen Marsh said two workers were treated for smoke inhalation and that the "
            "terminal would stay closed on Friday while engineers checked the cranes.\n"
            "Witnesses described a series of loud bangs before thick black smoke rose over the harbour. "
            "Ships due to dock at Larkspur were diverted to the northern terminal."
        ),
    },
    {
        "url": "https://valleycourier.example/news/larkspur-port-warehouse",
        "title": "Larkspur port shut after warehouse blaze",
        "source": "Valley Courier",
        "published": "2026-03-05T20:15:00+00:00",
        "author": "Sam Okafor",
        "text": (
            "The Larkspur container port was shut on Thursday after a fire destroyed a warehouse full of "
            "export goods, with port director Helen Marsh saying two workers needed treatment for smoke.\n"
            '"We will not reopen until every crane has been inspected," Marsh said. Incoming ships were '
            "sent to the northern terminal.\n"
            "Exporters said the stock lost in the fire included furniture and televisions bound for overseas buyers."
        ),
    },
]


def write_jsonl(path: Path, rows: list[dict] | None = None) -> Path:
    rows = ARTICLES if rows is None else rows
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path
