"""The adapters that speak the contract (the built-in engine, a hosted service) and the registry of them."""
