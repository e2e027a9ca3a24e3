-- +goose Up
-- A decision link is bound to its decision too: an approve link cannot
-- reject. Existing rows (none in practice) get '', which no decision matches.
ALTER TABLE approval_links ADD COLUMN decision VARCHAR(16) NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE approval_links DROP COLUMN decision;
