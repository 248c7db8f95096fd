"""The CRM domain and its use cases, built on the engine's public API."""
