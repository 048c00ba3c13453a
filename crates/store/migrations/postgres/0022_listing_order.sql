-- The credit lists page shows the latest listings first (`listed_on DESC, id DESC`): with this
-- index a page reads its 50 listings in order and joins their entities, where it sorted every
-- listing joined to the whole register.
CREATE INDEX credit_listings_listed ON credit_listings (listed_on, id);
