-- Finding a person by name before registering them twice: the beginning of the given or
-- family name, ignoring case, within a chapter. `text_pattern_ops` lets a btree answer
-- `LIKE 'prefix%'` whatever the database's collation. Phone numbers and e-mail
-- addresses are found exactly, by the indexes 0002 and 0003 made for duplicate flags.
CREATE INDEX participants_given_name_search
    ON participants (chapter_id, lower(given_name) text_pattern_ops);
CREATE INDEX participants_family_name_search
    ON participants (chapter_id, lower(family_name) text_pattern_ops);
CREATE INDEX referrals_given_name_search
    ON referrals (chapter_id, lower(given_name) text_pattern_ops);
CREATE INDEX referrals_family_name_search
    ON referrals (chapter_id, lower(family_name) text_pattern_ops);
