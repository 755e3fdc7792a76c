-- Recipient ids are scoped per user: each shopper names their own ("mum", "r_1"), and one
-- user's id neither collides with nor reveals another's. The key becomes (user_id, id), and
-- the profile vectors follow it.

ALTER TABLE recipient_vectors ADD COLUMN user_id text;
UPDATE recipient_vectors v SET user_id = r.user_id FROM recipients r WHERE r.id = v.recipient_id;
DELETE FROM recipient_vectors WHERE user_id IS NULL;
ALTER TABLE recipient_vectors ALTER COLUMN user_id SET NOT NULL;

ALTER TABLE recipient_vectors DROP CONSTRAINT recipient_vectors_recipient_id_fkey;
ALTER TABLE recipient_vectors DROP CONSTRAINT recipient_vectors_pkey;
ALTER TABLE recipients DROP CONSTRAINT recipients_pkey;
DROP INDEX recipients_user_id_idx;

ALTER TABLE recipients ADD PRIMARY KEY (user_id, id);
ALTER TABLE recipient_vectors ADD PRIMARY KEY (user_id, recipient_id, model);
ALTER TABLE recipient_vectors ADD FOREIGN KEY (user_id, recipient_id)
    REFERENCES recipients (user_id, id) ON DELETE CASCADE;
