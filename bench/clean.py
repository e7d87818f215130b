"""`make bench-clean`: drop the ``bench_*`` tables `make bench` keeps on the test servers
(PREFLIGHT_TEST_POSTGRES_URL, PREFLIGHT_TEST_MARIADB_URL); local files stay under
``$PREFLIGHT_HOME/bench`` until `make clean`."""

from __future__ import annotations

from bench.cases import engine_urls
from bench.data import drop_server_tables


def main() -> None:
    for engine in ("postgresql", "mariadb"):
        url = engine_urls()[engine]
        if url is None:
            continue
        dropped = drop_server_tables(url)
        print(f"{engine}: dropped {', '.join(dropped) if dropped else 'nothing'}")


if __name__ == "__main__":
    main()
