"""CommonGround's data model: msgspec Structs for every payload and the SQL migrations."""
