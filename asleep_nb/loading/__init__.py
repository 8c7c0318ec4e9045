"""Loading: the composition of the API and data layers (fetching, archives, datasets from the API)."""
