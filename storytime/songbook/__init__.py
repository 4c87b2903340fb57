"""The community songbook: song shares grouped into entries across storytimes.

`grouping` turns titles into keys and files them (live and in bulk), `service` holds
every write (filing, tidying, merge, split, rename, plans), `queries` every read. The
review blueprint's songbook pages and `/api/v1/songbook` call only these.
"""
