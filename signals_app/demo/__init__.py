"""The demo region: a Chelyabinsk-like region with agencies, staff and signals."""
