"""Pure billing rules: money, VAT, identifiers, billing profiles, states. No I/O, no UI."""
