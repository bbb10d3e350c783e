"""Resume intelligence: a sentence-embedding model run in numpy, and the passages it embeds."""
