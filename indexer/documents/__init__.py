"""Records -> index documents: what a project or a facility is found by, filtered and sorted
on, and what each source is called. Engine-neutral (plain dicts); imports ``harvesters.core``
and ``indexer.analysis``."""
