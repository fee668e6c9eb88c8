"""One listing of a run's tests, taken page by page: every test kept, a page that repeats an earlier one
refused. The pages the gather step reads from the API, and a saved answer's pages, are taken alike."""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Iterable, Sequence
from itertools import repeat
from operator import attrgetter

from gate.errors import UnusableAnswerError
from gate.model import Page, TestResult

# A test by name: its spec, title and status (a page's content is the multiset of these).
_NAME = attrgetter("spec", "title", "status")
_IDENTITY = attrgetter("test_id", "spec", "title", "status")
# The table of marks of the identities taken starts at 64 KiB (a listing of 8,192 tests) and doubles as it fills.
_FIRST_BUCKETS = 1 << 16


class Listing:
    """The tests of one listing (of one status, or of every status), taken page by page (pages are not kept
    once read).

    A page that repeats an earlier one makes the answer unusable: a server that repeats pages could list
    a quarantined test several times in place of tests it leaves out. Repeats are told by:
    - a spec id (the API's own, never a fallback `#page/index`) on an earlier page, or twice on one page:
      a spec is one entry on one page;
    - the same tests as an earlier page, in any order, told by (spec file, title, status) alone, since a
      hostile server can vary every id. Names alone cannot refuse a single test: one title may appear
      twice in a spec (parametrized tests) and one file in several specs (Playwright projects), so only a
      whole page seen before is the signal;
    - a page whose every test, each with its `test_id`, was taken before with that id, file, title and
      status: a part of an earlier page served again. A test id alone is not enough, as a real run may
      give the same one to a test in different specs.
    """

    def __init__(self, status: str | None) -> None:
        self.status = status  # None: the tests of every status, as an unfiltered listing holds them
        self.tests: list[TestResult] = []
        self.seen: set[str] = set()
        self.contents: set[int] = set()
        # The tests taken, each by the hash of its id, spec, title and status (a page whose every test
        # has an id and was taken already is a repeat; a chance collision only refuses, never passes).
        self.identified = Identities()

    def _refuse(self, page: Page, why: str) -> UnusableAnswerError:
        return UnusableAnswerError(
            f"page {page.page_number} of the {self.status + ' ' if self.status else ''}tests {why}; "
            "the answer's pagination cannot be trusted"
        )

    def take(self, page: Page) -> None:
        """Keep the page's tests of this status, or refuse the page as a repeat."""
        real_ids = [spec_id for spec_id in page.spec_ids if not spec_id.startswith("#")]
        repeated = self.seen.intersection(real_ids)
        if repeated:
            raise self._refuse(page, f"repeats specs of an earlier page ({len(repeated)} of them)")
        if len(set(real_ids)) != len(real_ids):
            raise self._refuse(page, "lists one spec twice")
        content = _content(page.tests)
        if page.tests and content in self.contents:
            raise self._refuse(page, "repeats the tests of an earlier page")
        identified = list(map(hash, map(_IDENTITY, page.tests)))
        every_test_has_an_id = all(test.test_id is not None for test in page.tests)
        if page.tests and every_test_has_an_id and self.identified.hold(identified):
            raise self._refuse(page, "repeats tests of earlier pages")
        self.seen.update(real_ids)
        self.contents.add(content)
        self.identified.add(identified)
        # Every test of the page counts, whatever its status: a page filtered by one status may show tests
        # of others (their specs match the filter), and a test the gate holds is never thrown away.
        self.tests.extend(page.tests)


class Identities:
    """Hashes of the tests taken, held compactly (a set of them took 6 MB at 100,000 tests; this, 2 MB): 8 bytes
    each in one array, and a table of marks, a byte per bucket, at least eight buckets per hash taken, that
    tells at once, almost always at a page's first test, that a page holds a test never taken. Only a page
    whose every test is marked is looked for in the array (one pass over it)."""

    def __init__(self) -> None:
        self.taken = array("q")
        self.marks = bytearray(_FIRST_BUCKETS)

    def hold(self, hashes: Sequence[int]) -> bool:
        """Whether every hash was taken before."""
        mask = len(self.marks) - 1
        if not all(map(self.marks.__getitem__, map(mask.__and__, hashes))):
            return False
        unseen = set(hashes)
        unseen.difference_update(self.taken)
        return not unseen

    def add(self, hashes: Sequence[int]) -> None:
        """Take these hashes; the table of marks doubles as it fills, so that few marks ever match by chance."""
        self.taken.extend(hashes)
        while len(self.taken) * 8 > len(self.marks):
            # A bucket is told by the low bits of a hash: bucket i of the table twice as large is i or i + size,
            # so the table doubled is itself twice over (marks stay where a hash taken could be).
            self.marks = self.marks * 2
        mask = len(self.marks) - 1
        deque(map(self.marks.__setitem__, map(mask.__and__, hashes), repeat(1)), maxlen=0)


def _content(tests: Sequence[TestResult]) -> int:
    """A fingerprint of a page's tests by name, in any order: equal for pages listing the same tests.

    The sum of the tests' hashes (64 bits, and their number): two different pages alike by chance would
    only be refused as a repeat (no verdict), never let a run pass.
    """
    return hash((len(tests), sum(map(hash, map(_NAME, tests))) & 0xFFFFFFFFFFFFFFFF))


def read_listing(pages: Iterable[Page]) -> list[TestResult]:
    """Every test of the pages of one unfiltered listing (a saved answer's pages), repeats refused."""
    taken = Listing(None)
    for page in pages:
        taken.take(page)
    return taken.tests
