"""Words people use for the same thing in the field. A search with any phrase of a group also
searches with every other phrase of it. Maintained here; add a group or a phrase with a pull request."""

SYNONYMS: tuple[tuple[str, ...], ...] = (
    ("naloxone", "narcan", "kloxxado", "zimhi", "overdose reversal"),
    ("syringe services", "needle exchange", "syringe exchange", "ssp", "sterile syringes", "clean needles"),
    ("recovery housing", "sober living", "recovery residence", "halfway house", "oxford house"),
    ("buprenorphine", "suboxone", "bupe", "subutex", "sublocade", "zubsolv"),
    ("methadone", "otp", "opioid treatment program", "methadone clinic"),
    ("moud", "mat", "medication for opioid use disorder", "medication assisted treatment"),
    ("transit passes", "bus pass", "bus passes", "bus ticket", "transit pass", "metro card", "orca card"),
    ("legal aid", "public defender", "free lawyer", "legal help", "legal services"),
    ("emergency shelter", "homeless shelter", "bed tonight", "warming center", "cooling center"),
    ("fentanyl test strips", "fts", "test strips", "drug checking"),
    ("expungement", "record clearing", "record sealing", "clean slate"),
    ("rides", "ride", "transportation", "lift"),
    ("overdose prevention site", "safe consumption site", "supervised consumption", "safe injection site"),
    ("treatment court", "drug court", "recovery court"),
    ("court accompaniment", "court advocate", "court support"),
    ("rental assistance", "rent help", "rent assistance", "eviction prevention"),
)
