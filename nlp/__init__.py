"""Review-text pipeline: ingest, normalise, segment, keywords, topics, sentiment, similarity."""
