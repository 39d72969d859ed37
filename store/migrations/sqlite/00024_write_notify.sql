-- +goose Up
-- PostgreSQL's half tells every app node of each committed write (LISTEN/
-- NOTIFY). SQLite has no such thing, and needs none: its nodes share one
-- file on one machine and look for each other's writes every
-- -reload-interval. Nothing to do; the number keeps both engines' schema
-- versions alike.
SELECT 1;

-- +goose Down
SELECT 1;
