-- +goose Up
-- The portal callback is a Delivery (target kind "portal"): the approval
-- records its decision and the delivery's id before the delivery starts,
-- so the attempt activity reads what to tell the portal from the row.
ALTER TABLE approvals
    ADD COLUMN decision             VARCHAR(16)  NULL,
    ADD COLUMN callback_delivery_id VARCHAR(191) NULL,
    ADD KEY approvals_callback (callback_delivery_id);

-- +goose Down
ALTER TABLE approvals
    DROP KEY approvals_callback,
    DROP COLUMN callback_delivery_id,
    DROP COLUMN decision;
