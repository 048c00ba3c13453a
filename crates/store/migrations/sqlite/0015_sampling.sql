-- Random inspections (双随机、一公开, see ../shared/spec/credit.md and docs/sampling.md): plans,
-- their pools of inspectors, and the draws made from a published seed with every input kept
-- as published, the entities selected, the inspectors assigned and the inspections recorded.
--
-- Plans and draws are the city's; a draw's entities belong to their districts (an inspector
-- reads those of their districts only).

CREATE TABLE sampling_plans (
    id                    INTEGER PRIMARY KEY,
    name                  TEXT NOT NULL,
    -- The inspection items (检查事项): a JSON array of texts.
    items                 TEXT NOT NULL,
    -- The population filter: JSON {"districts": [...], "kinds": [...], "legal_forms": [...],
    -- "classes": [...]} of codes; an empty list does not narrow.
    population_filter     TEXT NOT NULL,
    -- The sampling ratio per class: JSON {"A": "0.03", ...} (exact decimals in (0, 1]).
    ratios                TEXT NOT NULL,
    exclude_same_district INTEGER NOT NULL DEFAULT 1,
    inspectors_per_entity INTEGER NOT NULL DEFAULT 2 CHECK (inspectors_per_entity > 0),
    state                 TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'closed')),
    created_at            TEXT NOT NULL,
    created_by            TEXT NOT NULL
);

-- The plan's pool of inspectors (执法检查人员名录库).
CREATE TABLE sampling_plan_inspectors (
    plan_id     INTEGER NOT NULL REFERENCES sampling_plans (id),
    user_id     INTEGER NOT NULL REFERENCES users (id),
    PRIMARY KEY (plan_id, user_id)
);

-- A draw: its inputs exactly as published (the seed, the algorithm, the ratios, the
-- population list and the pool, JSON), when and by whom.
CREATE TABLE sampling_draws (
    id          INTEGER PRIMARY KEY,
    plan_id     INTEGER NOT NULL REFERENCES sampling_plans (id),
    seed        TEXT NOT NULL,
    algorithm   TEXT NOT NULL,
    ratios      TEXT NOT NULL,
    population  TEXT NOT NULL,
    pool        TEXT NOT NULL,
    drawn_at    TEXT NOT NULL,
    drawn_by    TEXT NOT NULL
);
CREATE INDEX sampling_draws_plan ON sampling_draws (plan_id, id);

-- The entities a draw selected, with their class and district at the draw, the inspectors
-- left out for a conflict (JSON) and the field inspection that recorded the result.
CREATE TABLE sampling_draw_entities (
    draw_id       INTEGER NOT NULL REFERENCES sampling_draws (id),
    entity_id     INTEGER NOT NULL REFERENCES entities (id),
    uscc          TEXT NOT NULL,
    class         TEXT NOT NULL CHECK (class IN ('A', 'B', 'C', 'D')),
    district      TEXT NOT NULL,
    excluded      TEXT NOT NULL,
    inspection_id INTEGER REFERENCES inspections (id),
    PRIMARY KEY (draw_id, entity_id)
);
CREATE INDEX sampling_draw_entities_district ON sampling_draw_entities (district, draw_id);

-- The inspectors assigned to each selected entity, by rank (0 first).
CREATE TABLE sampling_draw_inspectors (
    draw_id     INTEGER NOT NULL,
    entity_id   INTEGER NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    rank        INTEGER NOT NULL,
    PRIMARY KEY (draw_id, entity_id, user_id),
    FOREIGN KEY (draw_id, entity_id) REFERENCES sampling_draw_entities (draw_id, entity_id)
);
