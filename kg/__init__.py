"""Heritage knowledge base: the site catalog, name resolution and coordinate derivation."""
