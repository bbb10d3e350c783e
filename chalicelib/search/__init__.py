"""Search: one text pipeline (analyzer), the index in its own table (index), fed from the
professionals table's stream (indexer), and the query planner and ranking (query)."""
