-- Demo data for trying the service: the Botkyrka chapter, an SFI school and an interest
-- taxonomy. The demo people are registered through the service by kompisd's demo loader.
-- Loaded by `kompisd serve` when KOMPIS_DEMO_DATA=true;
-- rows that already exist are left alone.

INSERT INTO chapters (id, display_name, contact_email) VALUES
    ('botkyrka', 'Kompis Botkyrka', 'botkyrka@kompis.example')
ON CONFLICT DO NOTHING;
INSERT INTO matching_weights (chapter_id) VALUES ('botkyrka') ON CONFLICT DO NOTHING;
INSERT INTO chapter_municipalities (chapter_id, municipality_id) VALUES ('botkyrka', 'botkyrka')
ON CONFLICT DO NOTHING;

INSERT INTO organizations (id, chapter_id, municipality_id, kind, display_name) VALUES
    ('sfi-botkyrka', 'botkyrka', 'botkyrka', 'sfi_school', 'SFI Botkyrka'),
    ('folkhogskola-tumba', 'botkyrka', 'botkyrka', 'folk_high_school', 'Tumba folkhögskola')
ON CONFLICT DO NOTHING;

INSERT INTO interests (chapter_id, id, display_name, category) VALUES
    ('botkyrka', 'football',  'Football',         'sport'),
    ('botkyrka', 'walking',   'Walks in nature',  'outdoors'),
    ('botkyrka', 'cooking',   'Cooking',          'food'),
    ('botkyrka', 'fika',      'Fika',             'food'),
    ('botkyrka', 'museums',   'Museums',          'culture'),
    ('botkyrka', 'music',     'Music',            'culture'),
    ('botkyrka', 'reading',   'Reading',          'culture'),
    ('botkyrka', 'gardening', 'Gardening',        'outdoors')
ON CONFLICT DO NOTHING;
