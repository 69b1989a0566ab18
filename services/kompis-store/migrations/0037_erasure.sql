-- Erasure of a person (GDPR Art. 17) in place: the participant's row stays as a
-- tombstone, so that the rows that reference it (interviews, matches, check-ins,
-- invitations, the event log's subjects) keep their keys and the partnership's figures
-- survive. `erase_time` says when it was erased (the application clock); an erased
-- participant is ENDED, has no names, contact, consent signer, app account, notes,
-- languages, interests, wishes or free tags, and the service answers for it as for a
-- participant that does not exist. What stays is what the event log keeps anyway: role,
-- source, birth year, gender, municipality and district.
--
-- The CHECKs that required names, a contact and a consent signer hold for every row
-- that is not erased. A referral converted into the erased participant is erased with
-- it the same way (`referrals.erase_time`).
ALTER TABLE participants
    ADD COLUMN erase_time timestamptz,
    DROP CONSTRAINT participants_given_name_check,
    DROP CONSTRAINT participants_family_name_check,
    DROP CONSTRAINT participants_consent_given_by_check,
    DROP CONSTRAINT participants_contact,
    ADD CONSTRAINT participants_given_name_check CHECK (
        length(given_name) <= 100 AND (erase_time IS NOT NULL OR length(given_name) >= 1)),
    ADD CONSTRAINT participants_family_name_check CHECK (
        length(family_name) <= 100 AND (erase_time IS NOT NULL OR length(family_name) >= 1)),
    ADD CONSTRAINT participants_consent_given_by_check CHECK (
        length(consent_given_by) <= 200 AND (erase_time IS NOT NULL OR length(consent_given_by) >= 1)),
    ADD CONSTRAINT participants_contact CHECK (
        erase_time IS NOT NULL OR phone IS NOT NULL OR email IS NOT NULL),
    ADD CONSTRAINT participants_erased CHECK (
        erase_time IS NULL OR (state = 'ended' AND given_name = '' AND family_name = ''
            AND display_name = '' AND phone IS NULL AND email IS NULL
            AND account_subject IS NULL));

ALTER TABLE referrals
    ADD COLUMN erase_time timestamptz,
    DROP CONSTRAINT referrals_given_name_check,
    DROP CONSTRAINT referrals_family_name_check,
    DROP CONSTRAINT referrals_contact,
    ADD CONSTRAINT referrals_given_name_check CHECK (
        length(given_name) <= 100 AND (erase_time IS NOT NULL OR length(given_name) >= 1)),
    ADD CONSTRAINT referrals_family_name_check CHECK (
        length(family_name) <= 100 AND (erase_time IS NOT NULL OR length(family_name) >= 1)),
    ADD CONSTRAINT referrals_contact CHECK (
        erase_time IS NOT NULL OR phone IS NOT NULL OR email IS NOT NULL),
    ADD CONSTRAINT referrals_erased CHECK (
        erase_time IS NULL OR (given_name = '' AND family_name = '' AND display_name = ''
            AND phone IS NULL AND email IS NULL AND note = '' AND close_note = ''));

COMMENT ON COLUMN participants.erase_time IS
    'When the person''s personal data was erased (GDPR Art. 17); the row is a tombstone since.';
