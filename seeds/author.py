"""How seeds/commonground.json was authored: `python -m seeds.author > seeds/commonground.json`.

The listings are fictional but plausible: real metros, real street names, fictional 555-01xx
phone numbers, and hours shaped like real programs (overnight shelters, 24/7 lines, closed
weekends). Output is deterministic, so re-authoring changes nothing unless this file changes.
"""

import json
import random
import sys
from collections.abc import Iterable
from typing import Any

from seeds.loader import DATASET

# name, state, centre, IANA zone, area code, ZIPs, streets
METROS = [
    (
        "Portland",
        "OR",
        (45.5231, -122.6765),
        "America/Los_Angeles",
        "503",
        ["97201", "97204", "97205", "97209", "97211", "97214", "97217", "97232", "97266"],
        [
            "SW 5th Ave",
            "NE Broadway",
            "SE Hawthorne Blvd",
            "N Lombard St",
            "NE Martin Luther King Jr Blvd",
            "SE Division St",
            "W Burnside St",
            "NE Sandy Blvd",
            "SE 82nd Ave",
        ],
    ),
    (
        "Seattle",
        "WA",
        (47.6062, -122.3321),
        "America/Los_Angeles",
        "206",
        ["98101", "98104", "98109", "98118", "98122", "98144", "98103", "98125"],
        [
            "3rd Ave",
            "Rainier Ave S",
            "E Pike St",
            "Aurora Ave N",
            "Rainier Ave S",
            "S Jackson St",
            "Lake City Way NE",
            "Martin Luther King Jr Way S",
        ],
    ),
    (
        "Baltimore",
        "MD",
        (39.2904, -76.6122),
        "America/New_York",
        "410",
        ["21201", "21202", "21205", "21213", "21217", "21223", "21224", "21230"],
        [
            "N Charles St",
            "E Baltimore St",
            "W North Ave",
            "Greenmount Ave",
            "Pennsylvania Ave",
            "E Monument St",
            "W Pratt St",
            "Eastern Ave",
        ],
    ),
    (
        "Philadelphia",
        "PA",
        (39.9526, -75.1652),
        "America/New_York",
        "215",
        ["19102", "19107", "19121", "19122", "19133", "19134", "19140", "19146"],
        [
            "Market St",
            "N Broad St",
            "Kensington Ave",
            "Girard Ave",
            "W Lehigh Ave",
            "Frankford Ave",
            "S Broad St",
            "Germantown Ave",
        ],
    ),
    (
        "Chicago",
        "IL",
        (41.8781, -87.6298),
        "America/Chicago",
        "312",
        ["60601", "60605", "60607", "60608", "60612", "60616", "60622", "60624", "60640"],
        [
            "S State St",
            "W Madison St",
            "N Milwaukee Ave",
            "W Roosevelt Rd",
            "S Halsted St",
            "W Division St",
            "N Broadway",
            "W Chicago Ave",
        ],
    ),
    (
        "Denver",
        "CO",
        (39.7392, -104.9903),
        "America/Denver",
        "303",
        ["80202", "80204", "80205", "80206", "80211", "80219", "80223"],
        ["Colfax Ave", "Lawrence St", "Federal Blvd", "Broadway", "E 17th Ave", "Santa Fe Dr", "Park Ave W"],
    ),
    (
        "Phoenix",
        "AZ",
        (33.4484, -112.0740),
        "America/Phoenix",
        "602",
        ["85003", "85004", "85006", "85007", "85008", "85009", "85012"],
        [
            "W Van Buren St",
            "E Washington St",
            "N 7th St",
            "W Jefferson St",
            "N Central Ave",
            "E McDowell Rd",
            "W Madison St",
        ],
    ),
    (
        "Atlanta",
        "GA",
        (33.7490, -84.3880),
        "America/New_York",
        "404",
        ["30303", "30308", "30310", "30312", "30314", "30315", "30318"],
        [
            "Peachtree St NE",
            "Ralph David Abernathy Blvd",
            "Memorial Dr SE",
            "Joseph E Lowery Blvd",
            "Metropolitan Pkwy",
            "Edgewood Ave",
            "Marietta St NW",
        ],
    ),
    (
        "Honolulu",
        "HI",
        (21.3069, -157.8583),
        "Pacific/Honolulu",
        "808",
        ["96813", "96814", "96817", "96819", "96826", "96792"],
        ["S King St", "Kapiolani Blvd", "N Beretania St", "Dillingham Blvd", "Kalakaua Ave", "Farrington Hwy"],
    ),
    (
        "Anchorage",
        "AK",
        (61.2181, -149.9003),
        "America/Anchorage",
        "907",
        ["99501", "99503", "99504", "99508", "99517"],
        ["E 4th Ave", "Gambell St", "Muldoon Rd", "Northern Lights Blvd", "Spenard Rd"],
    ),
]

# subcategory -> (service name templates, description, eligibility, fees, schedule shape)
SERVICES = {
    "emergency-shelter": (
        ["{area} Night Shelter", "{area} Winter Warming Center", "Safe Harbor Shelter"],
        "Overnight beds, showers and a hot meal. Check in from the evening; lockers available.",
        "Adults 18+. No ID required.",
        "Free",
        "overnight",
    ),
    "recovery-housing": (
        ["{area} Recovery Residence", "Oxford-style Sober Home", "New Leaf Recovery House"],
        "Peer-run recovery residence with house meetings and a recovery coach on site.",
        "People in recovery from substance use; people on methadone or buprenorphine welcome.",
        "Sliding scale; first two weeks free for people leaving treatment",
        "office",
    ),
    "transitional-housing": (
        ["{area} Bridge Housing", "Pathways Transitional Apartments"],
        "Up to 24 months of housing with case management while moving to permanent housing.",
        "Adults experiencing homelessness; couples and families welcome.",
        "30% of income",
        "office",
    ),
    "rental-assistance": (
        ["{area} Rent Relief Fund", "Keep Housed Eviction Prevention"],
        "One-time help with deposits, first month's rent and arrears to prevent eviction.",
        "Household income below 60% of area median; eviction notice or lease required.",
        "Free",
        "weekdays",
    ),
    "naloxone": (
        ["Naloxone Distribution", "{area} Narcan Pickup", "Overdose Response Training"],
        "Free naloxone (Narcan) kits and five-minute training; no questions asked.",
        "Anyone. No ID required.",
        "Free",
        "weekdays",
    ),
    "syringe-services": (
        ["{area} Syringe Services Program", "Needle Exchange and Wound Care"],
        "Sterile syringes, safe disposal, wound care and referrals to treatment.",
        "Anyone who injects drugs. Anonymous.",
        "Free",
        "evenings",
    ),
    "drug-checking": (
        ["Fentanyl Test Strip Pickup", "{area} Drug Checking Service"],
        "Fentanyl and xylazine test strips; drop-in drug checking with a spectrometer on Fridays.",
        "Anyone. Anonymous.",
        "Free",
        "afternoons",
    ),
    "safer-use-supplies": (
        ["{area} Safer Use Supplies", "Harm Reduction Supply Window"],
        "Safer smoking and snorting kits, hygiene supplies and naloxone.",
        "Anyone. No ID required.",
        "Free",
        "afternoons",
    ),
    "overdose-prevention-site": (
        ["{area} Overdose Prevention Center", "Supervised Consumption Site"],
        "Staffed space to use with overdose response on hand, plus showers and referrals.",
        "Adults 18+.",
        "Free",
        "long",
    ),
    "rides": (
        ["Recovery Rides", "{area} Peer Ride Program", "Rides to Treatment"],
        "Door-to-door rides to treatment, court dates and housing appointments, booked by phone.",
        "People in recovery or working with a peer specialist.",
        "Free",
        "weekdays",
    ),
    "transit-passes": (
        ["{area} Transit Pass Program", "Reduced Fare Bus Passes"],
        "Monthly transit passes for people in treatment or job search.",
        "Enrolled in a treatment or re-entry program.",
        "Free",
        "weekdays",
    ),
    "medical-transport": (
        ["Non-Emergency Medical Transport", "{area} Medicaid Rides"],
        "Rides to medical, dental and methadone-clinic appointments.",
        "Medicaid members; book 48 hours ahead.",
        "Free with Medicaid",
        "always",
    ),
    "court-accompaniment": (
        ["Court Companion Program", "{area} Peer Court Support"],
        "A peer-support specialist meets you at the courthouse and stays through the hearing.",
        "Anyone with a court date; people in recovery prioritised.",
        "Free",
        "court",
    ),
    "legal-aid": (
        ["{area} Legal Aid Clinic", "Public Defender Walk-in Hours", "Tenant Rights Legal Help"],
        "Free legal advice on criminal, housing and benefits matters.",
        "Low income; no fee for people experiencing homelessness.",
        "Free",
        "weekdays",
    ),
    "treatment-court": (
        ["{area} Recovery Court", "Drug Treatment Court Intake"],
        "Treatment court intake and orientation for people facing charges linked to substance use.",
        "Referral from defence attorney or prosecutor.",
        "Free",
        "court",
    ),
    "expungement": (
        ["Record Clearing Clinic", "{area} Expungement Night"],
        "Help checking eligibility and filing to clear or seal old records.",
        "Anyone with a record in this state.",
        "Free",
        "monthly",
    ),
}

INLAND = {"Honolulu": ((0.0, 0.04), (-0.07, 0.05)), "Anchorage": ((-0.05, 0.02), (0.0, 0.14))}
AREAS = ["Downtown", "Northside", "Eastside", "Westside", "Southside", "Midtown", "Riverside", "Harbor"]
ORG_NAMES = [
    "{city} Harm Reduction Collective",
    "{city} Recovery Alliance",
    "Community Legal Services of {city}",
    "{city} Peer Support Network",
    "{city} Rescue Mission",
    "{city} Health Department",
    "Bridges to Home {city}",
    "{city} Mobility Partners",
]
LANGUAGES = [["en"], ["en"], ["en", "es"], ["en", "es"], ["en", "vi"], ["en", "es", "zh"], ["en", "ru"]]


def hours(shape: str, rng: random.Random) -> list[dict[str, int | str]]:
    """Weekly openings in one of the shapes real programs keep."""

    def days(ds: Iterable[int], opens: str, closes: str) -> list[dict[str, int | str]]:
        return [{"weekday": d, "opens_at": opens, "closes_at": closes} for d in ds]

    if shape == "overnight":  # past midnight, every day
        return days(range(1, 8), rng.choice(["18:00", "19:00", "20:00"]), rng.choice(["07:00", "08:00"]))
    if shape == "always":
        return days(range(1, 8), "00:00", "24:00")
    if shape == "long":
        return days(range(1, 7), "07:00", "22:00")  # closed Sundays
    if shape == "evenings":
        return days([1, 3, 5], "17:00", "21:00") + days([6], "12:00", "16:00")
    if shape == "afternoons":
        return days(range(1, 6), "12:00", "18:00")
    if shape == "court":
        return days(range(1, 6), "07:30", "16:30")
    if shape == "monthly":
        return days([4], "17:30", "20:30")
    return days(range(1, 6), rng.choice(["08:00", "08:30", "09:00"]), rng.choice(["16:30", "17:00", "18:00"]))


# subcategory -> attributes its listings usually carry, and who they typically serve.
ELIGIBILITY = {
    "emergency-shelter": (
        ["no-id-required", "sobriety-not-required", "pets-allowed", "couples", "accepts-moud"],
        ["free"],
        18,
        None,
    ),
    "recovery-housing": (["accepts-moud", "accepts-criminal-records", "referral-required"], ["fee"], 18, None),
    "transitional-housing": (
        ["families-with-children", "accepts-criminal-records", "referral-required"],
        ["sliding-scale"],
        None,
        None,
    ),
    "rental-assistance": (["families-with-children", "accepts-criminal-records"], ["free"], 18, None),
    "naloxone": (["no-id-required", "walk-in", "sobriety-not-required"], ["free"], None, None),
    "syringe-services": (
        ["no-id-required", "walk-in", "sobriety-not-required", "lgbtq-affirming"],
        ["free"],
        None,
        None,
    ),
    "drug-checking": (["no-id-required", "walk-in", "sobriety-not-required"], ["free"], None, None),
    "safer-use-supplies": (["no-id-required", "walk-in", "sobriety-not-required"], ["free"], None, None),
    "overdose-prevention-site": (
        ["no-id-required", "walk-in", "sobriety-not-required", "accepts-moud"],
        ["free"],
        18,
        None,
    ),
    "rides": (["no-id-required", "wheelchair-accessible"], ["free"], None, None),
    "transit-passes": (["accepts-criminal-records"], ["free", "sliding-scale"], None, None),
    "medical-transport": (["wheelchair-accessible", "referral-required"], ["insurance"], None, None),
    "court-accompaniment": (["no-id-required", "accepts-criminal-records", "accepts-registry"], ["free"], None, None),
    "legal-aid": (["accepts-criminal-records", "accepts-registry"], ["free", "sliding-scale"], None, None),
    "treatment-court": (["accepts-moud", "accepts-criminal-records", "referral-required"], ["free"], 18, None),
    "expungement": (["accepts-criminal-records", "walk-in"], ["free"], 18, None),
}
GENDERS = [[], [], [], [], ["women"], ["men"], ["women", "transgender", "nonbinary"]]


def eligibility_fields(key: str, slug: str) -> dict[str, Any]:
    """Eligibility fields for one listing, from its own random stream so the rest of the data stays put."""
    rng = random.Random(f"eligibility-{key}")
    typical, cost, minimum, maximum = ELIGIBILITY[slug]
    attributes = sorted(a for a in typical if rng.random() < 0.7)
    if rng.random() < 0.15:
        attributes = sorted({*attributes, "veterans"})
    if rng.random() < 0.2:
        attributes = sorted({*attributes, "lgbtq-affirming"})
    genders = (
        GENDERS[rng.randrange(len(GENDERS))]
        if slug in ("emergency-shelter", "recovery-housing", "transitional-housing")
        else []
    )
    if slug in ("emergency-shelter", "transitional-housing") and rng.random() < 0.2:
        minimum, maximum = 12, 24  # youth programmes
    return {"attributes": attributes, "genders": genders, "minimum_age": minimum, "maximum_age": maximum, "cost": cost}


def author() -> dict[str, Any]:
    rng = random.Random(20261127)
    listings: list[dict[str, Any]] = []
    subcategories = list(SERVICES)
    for metro_index, (city, state, (lat, lon), zone, area_code, zips, streets) in enumerate(METROS):
        count = 34 if metro_index < 8 else 24
        orgs = [name.format(city=city) for name in ORG_NAMES]
        for n in range(count):
            slug = subcategories[(n + metro_index) % len(subcategories)]
            names, description, eligibility, fees, shape = SERVICES[slug]
            area = AREAS[(n // len(subcategories) + metro_index) % len(AREAS)]
            name = rng.choice(names).format(area=area)
            parent_extra = []
            if slug == "naloxone" and n % 3 == 0:
                parent_extra = ["drug-checking"]
            if slug == "emergency-shelter" and n % 2 == 0:
                parent_extra = ["naloxone"]
            # Metro areas are ~25 km across; Honolulu and Anchorage sit on a coast, so their
            # listings spread inland only (north of Mamala Bay, east of Cook Inlet).
            lat_range, lon_range = INLAND.get(city, ((-0.08, 0.08), (-0.12, 0.12)))
            point = (round(lat + rng.uniform(*lat_range), 6), round(lon + rng.uniform(*lon_range), 6))
            status = "active"
            if n == 5:
                status = "inactive"
            elif n == 11 and metro_index % 2 == 0:
                status = "temporarily closed"
            listings.append(
                {
                    "key": f"{city.lower()}-{n:02d}",
                    "organization": orgs[(n + metro_index) % len(orgs)],
                    "service": {
                        "name": name,
                        "categories": [slug, *parent_extra],
                        "description": description,
                        "status": status,
                        "eligibility_description": eligibility,
                        "fees_description": fees,
                        "languages": LANGUAGES[(n + metro_index) % len(LANGUAGES)],
                        "assured_date": f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}",
                        **eligibility_fields(f"{city.lower()}-{n:02d}", slug),
                    },
                    "location": {
                        "name": f"{name} — {streets[n % len(streets)]}",
                        "latitude": point[0],
                        "longitude": point[1],
                        "timezone": zone,
                        "address": {
                            "address_1": f"{rng.randint(100, 9899)} {streets[n % len(streets)]}",
                            "city": city,
                            "state_province": state,
                            "postal_code": zips[n % len(zips)],
                            "country": "US",
                        },
                    },
                    "phones": [{"number": f"{area_code}-555-01{n % 100:02d}", "type": "voice"}],
                    "schedules": hours(shape, rng),
                }
            )
    return {"dataset": DATASET, "version": 1, "listings": listings}


if __name__ == "__main__":
    json.dump(author(), sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
