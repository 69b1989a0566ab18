-- Places the programme runs in: municipalities with their official codes and districts
-- with the WGS84 coordinates of each district's centre (rounded to about 100 m; taken
-- from the districts' centres as shown on public maps). Loaded by `kompisd migrate`;
-- re-running it never overwrites what an administrator changed.

INSERT INTO municipalities (id, display_name, code, region) VALUES
    ('botkyrka',  'Botkyrka',  '0127', 'Stockholms län'),
    ('stockholm', 'Stockholm', '0180', 'Stockholms län'),
    ('goteborg',  'Göteborg',  '1480', 'Västra Götalands län'),
    ('malmo',     'Malmö',     '1280', 'Skåne län'),
    ('uppsala',   'Uppsala',   '0380', 'Uppsala län'),
    ('umea',      'Umeå',      '2480', 'Västerbottens län')
ON CONFLICT DO NOTHING;

INSERT INTO districts (municipality_id, id, display_name, latitude, longitude) VALUES
    ('botkyrka', 'alby',        'Alby',        59.2391, 17.8459),
    ('botkyrka', 'eriksberg',   'Eriksberg',   59.2335, 17.8592),
    ('botkyrka', 'fittja',      'Fittja',      59.2476, 17.8610),
    ('botkyrka', 'hallunda',    'Hallunda',    59.2434, 17.8251),
    ('botkyrka', 'norsborg',    'Norsborg',    59.2440, 17.8144),
    ('botkyrka', 'tumba',       'Tumba',       59.1999, 17.8331),
    ('botkyrka', 'storvreten',  'Storvreten',  59.1924, 17.8196),
    ('botkyrka', 'tullinge',    'Tullinge',    59.2053, 17.9028),
    ('botkyrka', 'varsta',      'Vårsta',      59.1664, 17.8013),
    ('botkyrka', 'grodinge',    'Grödinge',    59.1511, 17.7614),

    ('stockholm', 'rinkeby-kista',        'Rinkeby-Kista',        59.3997, 17.9307),
    ('stockholm', 'spanga-tensta',        'Spånga-Tensta',        59.3940, 17.9020),
    ('stockholm', 'hasselby-vallingby',   'Hässelby-Vällingby',   59.3650, 17.8700),
    ('stockholm', 'bromma',               'Bromma',               59.3380, 17.9400),
    ('stockholm', 'kungsholmen',          'Kungsholmen',          59.3320, 18.0290),
    ('stockholm', 'norrmalm',             'Norrmalm',             59.3360, 18.0620),
    ('stockholm', 'ostermalm',            'Östermalm',            59.3380, 18.0860),
    ('stockholm', 'sodermalm',            'Södermalm',            59.3150, 18.0710),
    ('stockholm', 'enskede-arsta-vantor', 'Enskede-Årsta-Vantör', 59.2800, 18.0650),
    ('stockholm', 'skarpnack',            'Skarpnäck',            59.2670, 18.1330),
    ('stockholm', 'farsta',               'Farsta',               59.2440, 18.0900),
    ('stockholm', 'hagersten-alvsjo',     'Hägersten-Älvsjö',     59.2960, 17.9900),
    ('stockholm', 'skarholmen',           'Skärholmen',           59.2770, 17.9070),

    ('goteborg', 'angered',               'Angered',               57.7970, 12.0480),
    ('goteborg', 'ostra-goteborg',        'Östra Göteborg',        57.7330, 12.0300),
    ('goteborg', 'orgryte-harlanda',      'Örgryte-Härlanda',      57.7000, 12.0100),
    ('goteborg', 'centrum',               'Centrum',               57.7070, 11.9670),
    ('goteborg', 'majorna-linne',         'Majorna-Linné',         57.6920, 11.9250),
    ('goteborg', 'askim-frolunda-hogsbo', 'Askim-Frölunda-Högsbo', 57.6500, 11.9300),
    ('goteborg', 'vastra-goteborg',       'Västra Göteborg',       57.6600, 11.8800),
    ('goteborg', 'vastra-hisingen',       'Västra Hisingen',       57.7250, 11.8800),
    ('goteborg', 'lundby',                'Lundby',                57.7150, 11.9300),
    ('goteborg', 'norra-hisingen',        'Norra Hisingen',        57.7600, 11.9500),

    ('malmo', 'centrum',            'Centrum',            55.6050, 13.0000),
    ('malmo', 'sodra-innerstaden',  'Södra innerstaden',  55.5920, 13.0030),
    ('malmo', 'vastra-innerstaden', 'Västra innerstaden', 55.6000, 12.9800),
    ('malmo', 'rosengard',          'Rosengård',          55.5880, 13.0400),
    ('malmo', 'kirseberg',          'Kirseberg',          55.6080, 13.0330),
    ('malmo', 'husie',              'Husie',              55.5780, 13.0760),
    ('malmo', 'fosie',              'Fosie',              55.5650, 13.0180),
    ('malmo', 'hyllie',             'Hyllie',             55.5620, 12.9760),
    ('malmo', 'limhamn-bunkeflo',   'Limhamn-Bunkeflo',   55.5770, 12.9250),
    ('malmo', 'oxie',               'Oxie',               55.5430, 13.0980),

    ('uppsala', 'centrum',   'Centrum',   59.8580, 17.6390),
    ('uppsala', 'luthagen',  'Luthagen',  59.8660, 17.6280),
    ('uppsala', 'eriksberg', 'Eriksberg', 59.8460, 17.6120),
    ('uppsala', 'gottsunda', 'Gottsunda', 59.8110, 17.6160),
    ('uppsala', 'savja',     'Sävja',     59.8200, 17.7000),
    ('uppsala', 'granby',    'Gränby',    59.8760, 17.6730),
    ('uppsala', 'stenhagen', 'Stenhagen', 59.8510, 17.5700),

    ('umea', 'centrum',  'Centrum',  63.8260, 20.2630),
    ('umea', 'teg',      'Teg',      63.8150, 20.2650),
    ('umea', 'alidhem',  'Ålidhem',  63.8170, 20.3000),
    ('umea', 'ersboda',  'Ersboda',  63.8500, 20.3200),
    ('umea', 'holmsund', 'Holmsund', 63.7050, 20.3500)
ON CONFLICT DO NOTHING;
