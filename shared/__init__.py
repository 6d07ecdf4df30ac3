"""Code shared by every scribestream service: contracts, delivery, settings, logging."""
