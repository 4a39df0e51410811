"""Page cache hit rate on a busy marketplace: anonymous reads of the cached pages interleaved with everyday writes.

    python bench/hitrate.py --database-url sqlite:///bench/.cache/web-72-….db [--rounds 200] [--reads 20] [--seed 1]

The database is one bench/web.py seeded (its demo marketplace); it is copied first (SQLite) and never
changed. Each round makes one write of the mix a trading marketplace sees all day (a buyer's or a
group's message in a thread already answered, a quote's notes revised, an order moved into production,
and a group's profile edited, a change every page must show) through the same services the pages use,
each committed, then `--reads` anonymous GETs of home, the directory, the group API and 20 profiles
(in-process, Flask's test client). Prints the share of reads answered from the page cache
(`X-Loom-Cache: hit`), by the kind of write before them. Run it from two trees in turns to compare versions.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # run as a script, bench/search.py would shadow the `search` package

from sqlalchemy import select  # noqa: E402

from marketplace.accounts.models import Membership  # noqa: E402
from marketplace.errors import DomainError  # noqa: E402
from marketplace.orders import services as orders  # noqa: E402
from marketplace.orders.models import Order, OrderStatus  # noqa: E402
from marketplace.producers.models import ProducerGroup  # noqa: E402
from marketplace.secrets import new_key  # noqa: E402
from marketplace.sourcing import services as sourcing  # noqa: E402
from marketplace.sourcing.models import Quote  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__
    )
    parser.add_argument("--database-url", required=True, help="a SQLite database bench/web.py seeded (copied, not changed)")
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--reads", type=int, default=20, help="anonymous reads after each write")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="loom-bench-hitrate-") as tmp:
        folder = Path(tmp)
        copy = folder / "market.db"
        shutil.copyfile(args.database_url.removeprefix("sqlite:///"), copy)
        os.environ.update(
            {
                "LOOM_DATABASE_URL": f"sqlite:///{copy}",
                "LOOM_SECRET_KEY": "bench-secret-key",
                "LOOM_SECRETS_KEY": new_key(),
                "LOOM_SEARCH_BACKEND": "embedded",
                "LOOM_SEARCH_EMBEDDED_PATH": str(folder / "search.db"),
                "LOOM_MAIL_DIR": str(folder / "mail"),
                "LOOM_UPLOAD_DIR": str(folder / "uploads"),
                "LOOM_RATE_LIMIT_API": "1000000 per minute",
                "LOOM_PAGE_CACHE": "true",
            }
        )
        from marketplace import create_app

        app = create_app()
        sessions = app.extensions["loom.db"]["sessionmaker"]
        client = app.test_client()
        with app.app_context(), sessions() as session:
            slugs = list(session.scalars(select(ProducerGroup.slug).where(ProducerGroup.listed).order_by(ProducerGroup.id)))[:20]
            threads = session.execute(select(Quote.rfq_id, Quote.group_id, Quote.id)).all()
        urls = ["/", "/groups", "/api/v1/groups", *(f"/groups/{s}" for s in slugs)]

        def member(session, organization_id: int) -> Membership:  # type: ignore[no-untyped-def]
            return session.scalars(select(Membership).where(Membership.organization_id == organization_id)).first()

        def message(session, by_group: bool) -> None:  # type: ignore[no-untyped-def]
            rfq_id, group_id, _quote = rng.choice(threads)
            quote = session.get(Quote, _quote)
            group = session.get(ProducerGroup, group_id)
            author = member(session, group.organization_id if by_group else quote.rfq.buyer_id)
            sourcing.post_message(session, author, rfq=quote.rfq, group=group, body="Any news?", base_url="http://bench")

        def revise(session) -> None:  # type: ignore[no-untyped-def]
            quote = session.get(Quote, rng.choice(threads)[2])
            quote.notes = f"{quote.notes} (revised)"[-2000:]

        def move(session) -> bool:  # type: ignore[no-untyped-def]
            order = session.scalars(select(Order).where(Order.status == OrderStatus.CONFIRMED).limit(50)).all()
            if not order:
                return False
            chosen = rng.choice(order)
            admin = member(session, chosen.group.organization_id)
            orders.move(session, admin, chosen.id, OrderStatus.IN_PRODUCTION, note="", today=dt.date.today(), base_url="x")
            return True

        def edit(session) -> None:  # type: ignore[no-untyped-def]
            group = session.scalars(select(ProducerGroup).where(ProducerGroup.slug == rng.choice(slugs))).one()
            group.story = f"{group.story} ·"[-4000:]  # shown on its profile: every version must miss

        writes = {
            "buyer's message": lambda s: message(s, False),
            "group's message": lambda s: message(s, True),
            "quote revised": revise,
            "order into production": move,
            "profile edited": edit,
        }
        for url in urls:  # warm: every page once
            client.get(url)
        reads: Counter[str] = Counter()
        hits: Counter[str] = Counter()
        for _ in range(args.rounds):
            kind = rng.choice(list(writes))
            with app.app_context(), sessions() as session:  # the services publish events and read the configuration
                try:
                    if writes[kind](session) is False:
                        kind = "buyer's message"
                        writes[kind](session)
                    session.commit()
                except DomainError:
                    session.rollback()
                    continue
            for _ in range(args.reads):
                answer = client.get(rng.choice(urls))
                reads[kind] += 1
                hits[kind] += answer.headers.get("X-Loom-Cache") == "hit"
    print(f"\nPage cache hit rate: {args.rounds} rounds of one write then {args.reads} anonymous reads ({len(urls)} pages)\n")
    print(f"{'write before the reads':<24}{'reads':>7}{'hits':>7}{'hit rate':>10}")
    for kind in writes:
        if reads[kind]:
            print(f"{kind:<24}{reads[kind]:>7}{hits[kind]:>7}{hits[kind] / reads[kind]:>10.1%}")
    total, hit = sum(reads.values()), sum(hits.values())
    print(f"{'all':<24}{total:>7}{hit:>7}{hit / total:>10.1%}")


if __name__ == "__main__":
    main()
