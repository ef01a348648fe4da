"""Finding resources: places, service areas, forgiving words and the category taxonomy."""
