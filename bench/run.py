"""`make bench`: every benchmark, each reported as a ratio against its own baseline
measured in the same run (never a timing target in a unit test).

- profile: `profile_table` vs one hand-written aggregate query of the same metrics;
- text: sampling + PII + text fitness on 100,000 vs 1,000,000 rows of the same text.
"""

from __future__ import annotations

from bench import profile_bench, text_bench


def main() -> None:
    profile_bench.main([])
    text_bench.run()


if __name__ == "__main__":
    main()
