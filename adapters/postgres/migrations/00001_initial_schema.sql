-- Tables of the orders service. Names are unqualified on purpose: they are created in the
-- first schema of the search_path, so one database can hold several isolated schemas.
-- Identifier columns use the "C" collation: byte order, the order Go sorts strings in, so
-- rows locked "ORDER BY sku" are locked in the same order by every transaction.
-- The outbox tables are created by watermill-sql itself.

-- +goose Up
CREATE TABLE orders (
    id          text COLLATE "C" PRIMARY KEY,
    customer_id text        NOT NULL,
    lines       jsonb       NOT NULL,
    status      text        NOT NULL,
    reason      text        NOT NULL DEFAULT '',
    version     integer     NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE stock_levels (
    sku      text COLLATE "C" PRIMARY KEY,
    on_hand  bigint NOT NULL DEFAULT 0,
    reserved bigint NOT NULL DEFAULT 0,
    CONSTRAINT stock_levels_on_hand_check CHECK (on_hand >= 0),
    CONSTRAINT stock_levels_reserved_check CHECK (reserved >= 0)
);

-- One row per order that asked for stock or released it: held, failed, or released
-- (a release before its reservation is a tombstone with no lines).
CREATE TABLE stock_reservations (
    order_id text COLLATE "C" PRIMARY KEY,
    lines    jsonb NOT NULL DEFAULT '[]',
    status   text  NOT NULL,
    reason   text  NOT NULL DEFAULT ''
);

-- The read model behind GET /orders, built by the projection.
CREATE TABLE order_views (
    id          text COLLATE "C" PRIMARY KEY,
    customer_id text        NOT NULL DEFAULT '',
    items       jsonb       NOT NULL DEFAULT '[]',
    status      text        NOT NULL DEFAULT '',
    reason      text        NOT NULL DEFAULT '',
    version     integer     NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    refusals    jsonb       NOT NULL DEFAULT '[]'
);
-- Listing newest first, all statuses or one.
CREATE INDEX order_views_created_at_idx ON order_views (created_at DESC, id DESC);
CREATE INDEX order_views_status_created_at_idx ON order_views (status, created_at DESC, id DESC);

-- The inbox: messages each handler has processed, recorded in the handler's transaction.
CREATE TABLE processed_messages (
    handler      text        NOT NULL,
    message_uuid text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (handler, message_uuid)
);
CREATE INDEX processed_messages_processed_at_idx ON processed_messages (processed_at);

-- +goose Down
DROP TABLE IF EXISTS processed_messages;
DROP TABLE IF EXISTS order_views;
DROP TABLE IF EXISTS stock_reservations;
DROP TABLE IF EXISTS stock_levels;
DROP TABLE IF EXISTS orders;
