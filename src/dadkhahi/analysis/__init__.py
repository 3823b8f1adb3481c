"""Analysis over the store: the estimate's inputs, linkage draws and its ledger record.

``estimate`` is pure numerics and ``linkage`` knows records and pairs; this
package joins them for the store: which records enter an estimate, the
partitions drawn from the linkage's uncertainty, and the ``estimate.computed``
and ``estimate.released`` events. It may import domain, ledger, store,
linkage and estimate; ``cli``, ``api`` and ``web`` call it.
"""
