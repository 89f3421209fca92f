-- The count a stock level starts from (stock.Level.CountID): counts apply in the order of
-- their IDs, so a redelivered or late count cannot undo the shipments made since.

-- +goose Up
ALTER TABLE stock_levels ADD COLUMN count_id text COLLATE "C" NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE stock_levels DROP COLUMN count_id;
