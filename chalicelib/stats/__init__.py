"""Daily counters (contract 8.6): the stream consumer, the handlers' own counts, GET /stats."""
