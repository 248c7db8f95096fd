"""Reports: figures read in SQL over the CRM's tables, the projections and the engine's
history (never a deserialized instance), each scoped to what its reader may see."""
