"""Two use cases at once on real connections: the first holds its transaction open while the second runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from marketplace.db import write_transaction

UseCase = Callable[[Session], object]


def race(sessions: sessionmaker[Session], first: UseCase, second: UseCase, *, hold: float = 0.5) -> tuple[object, object]:
    """Run `first` in a write transaction, keep it open for `hold` seconds while `second` runs, then commit each.

    Returns what each returned, or the exception it raised (its transaction rolled back). Without a
    lock the second reads what the first has not committed yet and acts on it; with one it waits.
    """
    holding = threading.Event()
    outcomes: dict[str, object] = {}

    def run(name: str, use_case: UseCase, keep_open: bool) -> None:
        with sessions() as session:
            try:
                # The services are use cases (`marketplace.db.use_case`): inside this write transaction they join
                # it, so the first one's locks stay held while the second runs.
                with write_transaction(session):
                    outcome = use_case(session)
                    if keep_open:
                        holding.set()
                        time.sleep(hold)
                outcomes[name] = outcome
            except Exception as error:  # noqa: BLE001 - the outcome under test
                outcomes[name] = error
            finally:
                holding.set()

    a = threading.Thread(target=run, args=("first", first, True))
    b = threading.Thread(target=run, args=("second", second, False))
    a.start()
    assert holding.wait(20)
    b.start()
    a.join(30)
    b.join(30)
    assert not a.is_alive() and not b.is_alive(), "a use case hung"
    return outcomes["first"], outcomes["second"]
