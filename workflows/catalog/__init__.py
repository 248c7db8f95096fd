"""Products and price lists that quotes and contracts draw their lines from."""
