"""One job mechanism for long work: a queue table, a worker process, progress, cancel, resume.

See :mod:`dadkhahi.jobs.queue` (enqueue, claim, report, finish), :mod:`dadkhahi.jobs.worker`
(running them) and :mod:`dadkhahi.jobs.catalog` (the one list of job kinds).
"""
