"""CommonGround API service."""
