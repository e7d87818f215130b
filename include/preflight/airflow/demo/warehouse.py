"""The demo warehouse: a fictional media-and-events company, "Northwind Media".

Generated deterministically (seeded Faker + random) into SQLite. Timestamps are laid
out relative to an anchor time (default: now) so that freshness defects stay as
planted whenever the demo runs. Planted defects, each traceable in the report:

- ``readers``: no description and no owner in the catalog, and no job is known to
  produce it (it is loaded outside any lineage-emitting pipeline);
- ``article_translations``: newest row ~200 days old against a 7-day SLO, and 12% of
  ``translated_body`` is NULL although the localisation use case needs it;
- ``support_tickets``: duplicate ``ticket_id`` values, and e-mail addresses, phone
  numbers and payment-card numbers pasted into the free-text ``body``.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from faker import Faker

__all__ = ["DEMO_TABLES", "TableBuild", "build_table", "build_warehouse", "metadata"]

SEED = 20261125
metadata = sa.MetaData()

articles = sa.Table(
    "articles",
    metadata,
    sa.Column("article_id", sa.Integer, primary_key=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("section", sa.String(40), nullable=False),
    sa.Column("language", sa.String(5), nullable=False),
    sa.Column("author", sa.String(100)),
    sa.Column("published_at", sa.DateTime, nullable=False),
)
readers = sa.Table(
    "readers",
    metadata,
    sa.Column("reader_id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(200)),
    sa.Column("country", sa.String(2)),
    sa.Column("plan", sa.String(20)),
    sa.Column("signed_up_at", sa.DateTime),
)
reading_events = sa.Table(
    "reading_events",
    metadata,
    sa.Column("event_id", sa.Integer, primary_key=True),
    sa.Column("reader_id", sa.Integer, nullable=False),
    sa.Column("article_id", sa.Integer, nullable=False),
    sa.Column("read_at", sa.DateTime, nullable=False),
    sa.Column("seconds_read", sa.Integer),
    sa.Column("device", sa.String(20)),
)
# No primary-key constraint: the ticketing export it mirrors has none, which is how
# duplicate ticket ids got in.
support_tickets = sa.Table(
    "support_tickets",
    metadata,
    sa.Column("ticket_id", sa.Integer, nullable=False),
    sa.Column("reader_id", sa.Integer),
    sa.Column("subject", sa.String(200)),
    sa.Column("body", sa.Text),
    sa.Column("status", sa.String(20)),
    sa.Column("access_label", sa.String(20)),
    sa.Column("created_at", sa.DateTime),
)
article_translations = sa.Table(
    "article_translations",
    metadata,
    sa.Column("translation_id", sa.Integer, primary_key=True),
    sa.Column("article_id", sa.Integer, nullable=False),
    sa.Column("locale", sa.String(10), nullable=False),
    sa.Column("translated_title", sa.String(200)),
    sa.Column("translated_body", sa.Text),
    sa.Column("translated_at", sa.DateTime),
)
event_listings = sa.Table(
    "event_listings",
    metadata,
    sa.Column("listing_id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("venue", sa.String(100), nullable=False),
    sa.Column("city", sa.String(100), nullable=False),
    sa.Column("category", sa.String(40), nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("starts_at", sa.DateTime, nullable=False),
    sa.Column("updated_at", sa.DateTime, nullable=False),
)
seat_sales = sa.Table(
    "seat_sales",
    metadata,
    sa.Column("sale_id", sa.Integer, primary_key=True),
    sa.Column("listing_id", sa.Integer, nullable=False),
    sa.Column("buyer_id", sa.Integer, nullable=False),
    sa.Column("section", sa.String(20), nullable=False),
    sa.Column("seat", sa.String(10), nullable=False),
    sa.Column("price", sa.Numeric(10, 2), nullable=False),
    sa.Column("sold_at", sa.DateTime, nullable=False),
)

# Faker's lorem is Latin; an English word list keeps the demo's language checks honest.
ENGLISH_WORDS = (
    "the city council voted on a new plan for public transport and housing after months of "
    "debate residents said the changes would make daily life easier while critics warned about "
    "costs schools hospitals and local businesses expect more visitors this summer as the festival "
    "season returns researchers published a study showing that rivers are cleaner than a decade ago "
    "the team won the match in the final minutes and fans celebrated late into the night markets "
    "opened higher on news of strong exports farmers reported a good harvest despite the dry spring "
    "artists prepared an exhibition about memory family and migration in the old museum"
).split()
_TICKET_LINES = (
    "I have been a subscriber for years and this is the first time I write to you.",
    "Since the last app update the article page stays blank on my phone.",
    "My card was charged twice this month and I would like one payment refunded.",
    "I tried to reset my password but the email with the link never arrives.",
    "The newsletter now arrives in the afternoon instead of the morning.",
    "I bought two tickets for the concert but only one appears in my account.",
    "Could you explain how to move from the digital plan to the premium plan?",
    "The crossword does not save my progress when I switch devices.",
    "I would like to cancel my subscription at the end of the billing period.",
    "Thank you for the quick answer last time, it solved the problem.",
)

SECTIONS = ("politics", "culture", "science", "sport", "business", "travel")
LOCALES = ("fr-FR", "de-DE", "es-ES")
N_ARTICLES, N_READERS, N_EVENTS, N_TICKETS, N_LISTINGS, N_SALES = 400, 600, 12000, 500, 120, 4000


def _naive(ts: datetime) -> datetime:
    # SQLite has no time zones: store UTC wall-clock time.
    return ts.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def _articles(fake: Faker, rng: random.Random, now: datetime) -> list[dict]:
    rows = []
    for i in range(1, N_ARTICLES + 1):
        paragraphs = fake.paragraphs(nb=rng.randint(3, 6), ext_word_list=ENGLISH_WORDS)
        rows.append(
            {
                "article_id": i,
                "title": fake.sentence(nb_words=8, ext_word_list=ENGLISH_WORDS).rstrip("."),
                "body": "\n\n".join(paragraphs),
                "section": rng.choice(SECTIONS),
                "language": "en",
                "author": fake.name(),
                "published_at": _naive(now - timedelta(hours=rng.uniform(1, 24 * 180))),
            }
        )
    # The newest article went out an hour ago: the newsroom publishes continuously.
    rows[-1]["published_at"] = _naive(now - timedelta(hours=1))
    return rows


def _readers(fake: Faker, rng: random.Random, now: datetime) -> list[dict]:
    return [
        {
            "reader_id": i,
            "email": fake.unique.email(),
            "country": fake.country_code(),
            "plan": rng.choice(("free", "digital", "premium")),
            "signed_up_at": _naive(now - timedelta(days=rng.uniform(1, 900))),
        }
        for i in range(1, N_READERS + 1)
    ]


def _reading_events(fake: Faker, rng: random.Random, now: datetime) -> list[dict]:
    rows = []
    for i in range(1, N_EVENTS + 1):
        rows.append(
            {
                "event_id": i,
                "reader_id": rng.randint(1, N_READERS),
                "article_id": rng.randint(1, N_ARTICLES),
                "read_at": _naive(now - timedelta(minutes=rng.uniform(5, 60 * 24 * 30))),
                "seconds_read": rng.randint(5, 900),
                "device": rng.choice(("ios", "android", "web")),
            }
        )
    return rows


_TICKET_SUBJECTS = (
    "Cannot log in to my account",
    "Charged twice for my subscription",
    "Newsletter arrives late",
    "How do I cancel my plan?",
    "App crashes when opening an article",
    "Refund for event tickets",
)


def _support_tickets(fake: Faker, rng: random.Random, now: datetime) -> list[dict]:
    rows = []
    for i in range(1, N_TICKETS + 1):
        body = " ".join(rng.sample(_TICKET_LINES, rng.randint(2, 4)))
        roll = rng.random()
        # Customers paste contact details into the ticket text: the RAG assistant's blocker.
        if roll < 0.12:
            body += f" You can reach me at {fake.email()}."
        elif roll < 0.20:
            body += f" Please call me back on {fake.numerify('+44 20 #### ####')}."
        elif roll < 0.23:
            body += f" The charge is on my card {fake.credit_card_number(card_type='visa16')}."
        rows.append(
            {
                "ticket_id": i,
                "reader_id": rng.randint(1, N_READERS),
                "subject": rng.choice(_TICKET_SUBJECTS),
                "body": body,
                "status": rng.choice(("open", "pending", "solved", "solved", "closed")),
                "access_label": rng.choice(("public", "internal", "internal")),
                "created_at": _naive(now - timedelta(hours=rng.uniform(1, 24 * 60))),
            }
        )
    # A re-run of the export appended 15 tickets a second time, with the same ids.
    rows.extend(dict(row) for row in rng.sample(rows, 15))
    return rows


def _article_translations(fake: Faker, rng: random.Random, now: datetime) -> list[dict]:
    rows = []
    tid = 0
    fakers = {}
    for i, locale in enumerate(LOCALES):
        fakers[locale] = Faker(locale.replace("-", "_"))
        fakers[locale].seed_instance(SEED + i)
    # The translation agency's feed stopped about 200 days ago.
    stopped = now - timedelta(days=200)
    for article_id in range(1, 301):
        for locale in LOCALES:
            if rng.random() < 0.25:
                continue
            tid += 1
            locale_fake = fakers[locale]
            missing = rng.random() < 0.12
            rows.append(
                {
                    "translation_id": tid,
                    "article_id": article_id,
                    "locale": locale,
                    "translated_title": locale_fake.sentence(nb_words=6).rstrip("."),
                    "translated_body": None if missing else locale_fake.paragraph(nb_sentences=6),
                    "translated_at": _naive(stopped - timedelta(days=rng.uniform(0, 300))),
                }
            )
    return rows


def _event_listings(fake: Faker, rng: random.Random, now: datetime) -> list[dict]:
    return [
        {
            "listing_id": i,
            "name": f"{fake.catch_phrase()} {rng.choice(('Live', 'Festival', 'Night', 'Tour'))}",
            "venue": fake.company() + " Hall",
            "city": fake.city(),
            "category": rng.choice(("concert", "theatre", "talk", "sport", "comedy")),
            "capacity": rng.choice((300, 800, 1500, 5000)),
            "starts_at": _naive(now + timedelta(days=rng.uniform(1, 120))),
            "updated_at": _naive(now - timedelta(hours=rng.uniform(0.5, 20))),
        }
        for i in range(1, N_LISTINGS + 1)
    ]


def _seat_sales(fake: Faker, rng: random.Random, now: datetime) -> list[dict]:
    return [
        {
            "sale_id": i,
            "listing_id": rng.randint(1, N_LISTINGS),
            "buyer_id": rng.randint(1, N_READERS),
            "section": rng.choice(("stalls", "circle", "balcony", "floor")),
            "seat": f"{rng.choice('ABCDEFGHJK')}{rng.randint(1, 40)}",
            "price": round(rng.uniform(15, 180), 2),
            "sold_at": _naive(now - timedelta(hours=rng.uniform(0.2, 24 * 20))),
        }
        for i in range(1, N_SALES + 1)
    ]


@dataclass(frozen=True)
class TableBuild:
    table: sa.Table
    rows: Callable[[Faker, random.Random, datetime], list[dict]]
    upstream: tuple[str, ...] = ()  # tables whose content this one derives from


DEMO_TABLES: dict[str, TableBuild] = {
    "articles": TableBuild(articles, _articles),
    "readers": TableBuild(readers, _readers),
    "reading_events": TableBuild(reading_events, _reading_events, ("articles", "readers")),
    "support_tickets": TableBuild(support_tickets, _support_tickets, ("readers",)),
    "article_translations": TableBuild(article_translations, _article_translations, ("articles",)),
    "event_listings": TableBuild(event_listings, _event_listings),
    "seat_sales": TableBuild(seat_sales, _seat_sales, ("event_listings",)),
}


def build_table(engine: sa.Engine, name: str, *, now: datetime | None = None) -> int:
    """(Re)create one demo table with its seeded rows; returns the row count."""
    build = DEMO_TABLES[name]
    anchor = (now or datetime.now(UTC)).astimezone(UTC)
    # Each table has its own seed so building one table alone gives the same rows.
    seed = SEED + sorted(DEMO_TABLES).index(name)
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    rows = build.rows(fake, random.Random(seed), anchor)
    build.table.drop(engine, checkfirst=True)
    build.table.create(engine)
    with engine.begin() as conn:
        conn.execute(build.table.insert(), rows)
    return len(rows)


def build_warehouse(path: Path, *, now: datetime | None = None) -> dict[str, int]:
    """Build every demo table into the SQLite file at ``path`` (outside Airflow)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        return {name: build_table(engine, name, now=now) for name in DEMO_TABLES}
    finally:
        engine.dispose()
