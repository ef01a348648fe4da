-- The CommonGround taxonomy: four parents, each with its children. A filter on a parent
-- includes its children.
INSERT INTO categories (slug, parent_slug, name, description, position) VALUES
    ('housing', NULL, 'Housing', 'Somewhere to sleep tonight and somewhere to live after.', 1),
    ('emergency-shelter', 'housing', 'Emergency shelter', 'Beds for tonight, no lease required.', 1),
    ('recovery-housing', 'housing', 'Recovery housing', 'Sober living and recovery residences.', 2),
    ('transitional-housing', 'housing', 'Transitional housing', 'Time-limited housing with support, on the way to a home.', 3),
    ('rental-assistance', 'housing', 'Rental assistance', 'Help with deposits, rent and arrears.', 4),
    ('harm-reduction', NULL, 'Harm reduction', 'Keeping people who use drugs alive and well.', 2),
    ('naloxone', 'harm-reduction', 'Naloxone', 'Naloxone (Narcan) kits and training.', 1),
    ('syringe-services', 'harm-reduction', 'Syringe services', 'Sterile syringes, disposal and related care.', 2),
    ('drug-checking', 'harm-reduction', 'Drug checking', 'Fentanyl test strips and drug-checking services.', 3),
    ('safer-use-supplies', 'harm-reduction', 'Safer-use supplies', 'Pipes, snorting kits and other supplies for safer use.', 4),
    ('overdose-prevention-site', 'harm-reduction', 'Overdose prevention site', 'Supervised consumption and overdose prevention sites.', 5),
    ('transport', NULL, 'Transport', 'Getting people where they need to be.', 3),
    ('rides', 'transport', 'Rides', 'Rides to appointments, court, treatment and housing.', 1),
    ('transit-passes', 'transport', 'Transit passes', 'Free or reduced bus and rail passes.', 2),
    ('medical-transport', 'transport', 'Medical transport', 'Non-emergency medical transportation.', 3),
    ('court-support', NULL, 'Court support', 'Help before, during and after court.', 4),
    ('court-accompaniment', 'court-support', 'Court accompaniment', 'Someone to go to court with a person.', 1),
    ('legal-aid', 'court-support', 'Legal aid', 'Free or low-cost legal help, public defenders.', 2),
    ('treatment-court', 'court-support', 'Treatment court', 'Drug, recovery and mental-health treatment courts.', 3),
    ('expungement', 'court-support', 'Expungement', 'Record clearing and expungement clinics.', 4);
