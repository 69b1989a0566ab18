-- Demo people for trying the service (loaded after seeds/demo.sql, with it).

-- Participants: ready newcomers waiting for a buddy, ready established residents, and an
-- applicant who signed up in the app. Invented people; phone numbers are in the range
-- reserved for fiction (+46 70-1740xxx).
INSERT INTO participants (id, chapter_id, role, state, source, given_name, family_name, phone,
        email, birth_year, gender, municipality_id, district_id, consent_given_by, consent_time,
        consent_text_version, languages, swedish_level, interests, availability,
        meeting_preference, buddy_capacity, waiting_since) VALUES
    ('01900000-0000-7000-8000-000000000101', 'botkyrka', 'newcomer', 'ready', 'coordinator',
        'Amina', 'Yusuf', '+46701740101', NULL, 1991, 'female', 'botkyrka', 'alby',
        'demo-coordinator', now(), 'v1', '[{"code": "so", "level": "native"}, {"code": "ar", "level": "b1"}]',
        'sfi_b', '{walking,cooking,fika}', 1797, 'in_person', 1, now() - interval '120 days'),
    ('01900000-0000-7000-8000-000000000102', 'botkyrka', 'newcomer', 'ready', 'coordinator',
        'Dawit', 'Tesfaye', '+46701740102', NULL, 1988, 'male', 'botkyrka', 'fittja',
        'demo-coordinator', now(), 'v1', '[{"code": "ti", "level": "native"}, {"code": "en", "level": "b2"}]',
        'sfi_c', '{football,music}', 3584, 'both', 1, now() - interval '75 days'),
    ('01900000-0000-7000-8000-000000000103', 'botkyrka', 'newcomer', 'ready', 'coordinator',
        'Farida', 'Rahimi', NULL, 'farida.rahimi@example.org', 1979, 'female', 'botkyrka', 'hallunda',
        'demo-coordinator', now(), 'v1', '[{"code": "prs", "level": "native"}, {"code": "fa", "level": "c1"}]',
        'sfi_a', '{gardening,cooking}', 448, 'in_person', 1, now() - interval '40 days'),
    ('01900000-0000-7000-8000-000000000201', 'botkyrka', 'established_resident', 'ready', 'coordinator',
        'Karin', 'Lindqvist', '+46701740201', 'karin.lindqvist@example.org', 1965, 'female', 'botkyrka', 'tumba',
        'demo-coordinator', now(), 'v1', '[{"code": "sv", "level": "native"}, {"code": "en", "level": "c1"}]',
        'native', '{walking,reading,fika}', 1799, 'in_person', 2, now() - interval '30 days'),
    ('01900000-0000-7000-8000-000000000202', 'botkyrka', 'established_resident', 'ready', 'coordinator',
        'Johan', 'Berg', '+46701740202', NULL, 1984, 'male', 'botkyrka', 'tullinge',
        'demo-coordinator', now(), 'v1', '[{"code": "sv", "level": "native"}]',
        'native', '{football,music}', 3072, 'both', 1, now() - interval '10 days'),
    ('01900000-0000-7000-8000-000000000301', 'botkyrka', 'newcomer', 'applicant', 'self_sign_up',
        'Omar', 'Haddad', '+46701740301', NULL, 1996, 'male', 'botkyrka', 'norsborg',
        'Omar Haddad', now(), 'v1', '[{"code": "ar", "level": "native"}]',
        'sfi_b', '{}', 0, NULL, 1, NULL)
ON CONFLICT DO NOTHING;

-- Referrals from SFI Botkyrka: one just received, one being contacted.
INSERT INTO referrals (id, chapter_id, organization_id, referrer, state, given_name, family_name,
        phone, email, birth_year, gender, municipality_id, district_id, languages, swedish_level,
        consent_given_by, consent_give_time, consent_text_version, note) VALUES
    ('01900000-0000-7000-8000-000000000401', 'botkyrka', 'sfi-botkyrka', 'demo-referrer', 'received',
        'Leyla', 'Karimi', '+46701740401', NULL, 1993, 'female', 'botkyrka', 'alby',
        '[{"code": "ckb", "level": "native"}]', 'sfi_b', 'demo-referrer', now(), 'v1',
        'Would like to practise speaking Swedish.'),
    ('01900000-0000-7000-8000-000000000402', 'botkyrka', 'sfi-botkyrka', 'demo-referrer', 'contacted',
        'Samuel', 'Okafor', NULL, 'samuel.okafor@example.org', 1990, 'male', 'botkyrka', 'eriksberg',
        '[{"code": "en", "level": "c1"}, {"code": "yo", "level": "native"}]', 'sfi_c', 'demo-referrer', now(), 'v1',
        '')
ON CONFLICT DO NOTHING;
