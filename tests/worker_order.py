"""The order in which ``make test``'s pytest-xdist workers are handed the test files.

``make test`` runs the files on both cores, file by file (``--dist loadfile``), and xdist
hands out the files with the most tests first. A file of few but long tests (a browser
over every page, a real linkage run) could then start last and leave one worker running
it alone while the other has nothing to do. The files in :data:`FIRST_FILES` are handed
out before the rest, longest first; a file not listed keeps xdist's own order.
"""

from __future__ import annotations

from typing import Any

#: The longest files, longest first, by their times in a full ``-n 2`` run on the 2-core
#: machine (stop 28, loaded: 735, 595, 381, 316, 246, 233 and 200 s);
#: ``tests/test_worker_order.py`` checks that each one still exists.
FIRST_FILES: tuple[str, ...] = (
    "tests/web/test_web_browser.py",
    "tests/linkage/test_linkage_store.py",
    "tests/search/test_search_engine.py",
    "tests/analysis/test_analysis_estimates.py",
    "tests/access/test_access_reads_mutants.py",
    "tests/api/test_api_lists_linkage.py",
    "tests/api/test_api_hostile.py",
)


def longest_first(config: Any, log: Any) -> Any:
    """xdist's file-by-file scheduler, handing out :data:`FIRST_FILES` first."""
    from xdist.scheduler import LoadFileScheduling

    class LongestFirst(LoadFileScheduling):
        def _assign_work_unit(self, node: Any) -> None:
            # ``workqueue``: the files not handed out yet (an OrderedDict keyed by file).
            for path in FIRST_FILES:
                if path in self.workqueue:
                    self.workqueue.move_to_end(path, last=False)
                    break
            super()._assign_work_unit(node)

    return LongestFirst(config, log)
