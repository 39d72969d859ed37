-- +goose Up
-- The totals by programme, kept like the other rollups: statistics grouped
-- or filtered by programme, for one home institution or all of them, then
-- read this instead of every figure.
CREATE TABLE mobility_by_programme (
    home_id   BIGINT NOT NULL REFERENCES home_institutions(id),
    year      INTEGER NOT NULL,
    programme TEXT NOT NULL,
    direction TEXT NOT NULL,
    category  TEXT NOT NULL,
    total     BIGINT NOT NULL,
    PRIMARY KEY (home_id, year, programme, direction, category)
);

-- The figures stored before this migration.
INSERT INTO mobility_by_programme (home_id, year, programme, direction, category, total)
SELECT home_id, year, programme, direction, category, sum(count) FROM mobility WHERE deleted_at IS NULL
GROUP BY home_id, year, programme, direction, category;

-- +goose Down
DROP TABLE mobility_by_programme;
