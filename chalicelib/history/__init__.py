"""History of every professional (contract 8.2): who acts on the writes, the stream consumer
that records each change, and GET /professionals/{id}/history."""
