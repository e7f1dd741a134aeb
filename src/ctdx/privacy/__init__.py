"""Privacy-preserving publication: the publication schema, k-anonymity, DP aggregates and the privacy-loss ledger."""
