-- Back to one global recipient id namespace; fails if two users now share an id.
ALTER TABLE recipient_vectors DROP CONSTRAINT recipient_vectors_user_id_recipient_id_fkey;
ALTER TABLE recipient_vectors DROP CONSTRAINT recipient_vectors_pkey;
ALTER TABLE recipients DROP CONSTRAINT recipients_pkey;
ALTER TABLE recipients ADD PRIMARY KEY (id);
CREATE INDEX recipients_user_id_idx ON recipients (user_id);
ALTER TABLE recipient_vectors ADD PRIMARY KEY (recipient_id, model);
ALTER TABLE recipient_vectors ADD CONSTRAINT recipient_vectors_recipient_id_fkey
    FOREIGN KEY (recipient_id) REFERENCES recipients (id) ON DELETE CASCADE;
ALTER TABLE recipient_vectors DROP COLUMN user_id;
