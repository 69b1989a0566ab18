-- The live matches of a resident, as the app's buddy read finds them: a resident keeps
-- every match they ever had (ended and declined ones stay), so matches_resident (0010)
-- would visit each of them to test its state. This index holds only live matches, as
-- matches_one_live_per_newcomer does on the newcomer's side, so the read visits only
-- the matches it shows, however long the resident has volunteered.
CREATE INDEX matches_live_resident ON matches (resident_id)
    WHERE state IN ('proposed', 'accepted', 'active');
