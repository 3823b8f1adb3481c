"""Record linkage: which records are the same person (Persian-aware, human-reviewed).

* :func:`~dadkhahi.linkage.run.link`: features, Splink model, clusters, review queue.
* :func:`~dadkhahi.linkage.features.record_features`: comparison features per record.
* :func:`~dadkhahi.linkage.clusters.cluster_pairs`: clustering with human overrides.
"""

from dadkhahi.linkage.clusters import Clustering, cluster_pairs
from dadkhahi.linkage.features import CANONICAL_COLUMNS, FEATURE_COLUMNS, record_features
from dadkhahi.linkage.run import LinkResult, link, local_spark_session

__all__ = [
    "CANONICAL_COLUMNS",
    "FEATURE_COLUMNS",
    "Clustering",
    "LinkResult",
    "cluster_pairs",
    "link",
    "local_spark_session",
    "record_features",
]
